-- madoguchi schema, version 1.  Embedded in the binary by CMake and
-- applied by store.c when PRAGMA user_version is 0.  Later versions add
-- their own migration steps in store.c; this text never changes once
-- released.

-- Ticket numbers are per year and gap-free: the counter row is bumped in
-- the same BEGIN IMMEDIATE transaction that inserts the ticket.
CREATE TABLE counter (
  year INTEGER PRIMARY KEY,
  last INTEGER NOT NULL
);

CREATE TABLE ticket (
  id INTEGER PRIMARY KEY,
  number TEXT NOT NULL UNIQUE,          -- "2026-000123"
  year INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  created INTEGER NOT NULL,             -- Unix seconds, UTC
  updated INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'new'
    CHECK (status IN ('new', 'open', 'stalled', 'resolved', 'rejected')),
  category TEXT NOT NULL DEFAULT 'other'
    CHECK (category IN ('dos', 'ddos', 'spoofing', 'abuse', 'intrusion',
                        'scan', 'other')),
  category_by TEXT NOT NULL DEFAULT 'rules',   -- 'rules' or an operator
  owner TEXT,
  reporter TEXT,                        -- addr-spec of the first reporter
  reporter_name TEXT,
  subject TEXT NOT NULL DEFAULT '',
  merged_into INTEGER REFERENCES ticket (id),
  UNIQUE (year, seq)
);
CREATE INDEX ticket_created ON ticket (created);
CREATE INDEX ticket_status ON ticket (status, category);

CREATE TABLE message (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES ticket (id),
  direction TEXT NOT NULL DEFAULT 'in' CHECK (direction IN ('in', 'out')),
  received INTEGER NOT NULL,
  spool_id TEXT,
  envelope_from TEXT,                   -- '' is the null sender (a bounce)
  envelope_to TEXT,
  message_id TEXT,
  in_reply_to TEXT,
  refs TEXT,
  from_hdr TEXT,
  from_addr TEXT,
  reply_to TEXT,
  to_hdr TEXT,
  cc_hdr TEXT,
  subject TEXT,
  date_hdr TEXT,
  date_utc INTEGER,
  size INTEGER NOT NULL,                -- bytes the MTA sent
  flags TEXT NOT NULL DEFAULT '',       -- "truncated,malformed,..."
  dedup_key TEXT NOT NULL UNIQUE,       -- an MTA retry hits this
  raw BLOB NOT NULL,                    -- verbatim, as evidence
  text TEXT NOT NULL DEFAULT ''         -- decoded UTF-8 of all text parts
);
CREATE INDEX message_ticket ON message (ticket_id);
CREATE INDEX message_message_id ON message (message_id);

CREATE TABLE part (
  message_id INTEGER NOT NULL REFERENCES message (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  depth INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  filename TEXT,
  charset TEXT,
  size INTEGER NOT NULL,
  is_text INTEGER NOT NULL,
  forwarded INTEGER NOT NULL,
  PRIMARY KEY (message_id, idx)
);

-- The audit trail: every change to a ticket, by whom, old -> new.
CREATE TABLE event (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES ticket (id),
  at INTEGER NOT NULL,
  who TEXT NOT NULL,
  what TEXT NOT NULL,
  old TEXT,
  new TEXT
);
CREATE INDEX event_ticket ON event (ticket_id);
