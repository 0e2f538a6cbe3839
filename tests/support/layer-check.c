/*
 * layer-check.c - the empty program each layer of the house is linked
 * into whole, with only the layers below it (CMakeLists.txt): a call that
 * goes up a layer is then an undefined symbol, and the build fails.
 */
int
main (void)
{
  return 0;
}
