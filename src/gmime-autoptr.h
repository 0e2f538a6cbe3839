/*
 * gmime-autoptr.h - the g_autoptr cleanups that GMime 3 does not define,
 * declared once for the files that see GMime (message*, reply*, notify).
 */
#ifndef MADOGUCHI_GMIME_AUTOPTR_H
#define MADOGUCHI_GMIME_AUTOPTR_H

#include <gmime/gmime.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeFilter, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeObject, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InternetAddressList, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeCryptoContext, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeDecryptResult, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeSignatureList, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeDataWrapper, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeTextPart, g_object_unref)

#endif
