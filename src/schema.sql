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

-- An incident groups the reports (tickets) about one event, the way
-- CSIRTs count them: reports and incidents are separate figures.
CREATE TABLE incident (
  id INTEGER PRIMARY KEY,
  number TEXT NOT NULL UNIQUE,          -- "INC-2026-0001"
  year INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  title TEXT NOT NULL,
  created INTEGER NOT NULL,
  UNIQUE (year, seq)
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
  auto_category TEXT NOT NULL DEFAULT 'other', -- what the rules decided
  owner TEXT,
  reporter TEXT,                        -- addr-spec of the first reporter
  reporter_name TEXT,
  subject TEXT NOT NULL DEFAULT '',
  merged_into INTEGER REFERENCES ticket (id),  -- its number resolves there
  incident_id INTEGER REFERENCES incident (id),
  UNIQUE (year, seq)
);
CREATE INDEX ticket_created ON ticket (created);
CREATE INDEX ticket_updated ON ticket (updated);
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
  text TEXT NOT NULL DEFAULT '',        -- decoded UTF-8 of all text parts
  indicators_dropped INTEGER NOT NULL DEFAULT 0, -- past max_indicators
  category TEXT,                        -- the rules' decision for it
  scores TEXT,                          -- "scan=6 intrusion=4": every total
  ack TEXT,                             -- the acknowledgement decision
  thread TEXT                           -- how it joined: new, tag, reference...
);
CREATE INDEX message_ticket ON message (ticket_id);
CREATE INDEX ticket_owner ON ticket (owner);
CREATE INDEX ticket_reporter ON ticket (reporter);
CREATE INDEX ticket_incident ON ticket (incident_id);

-- Full-text search over subjects and decoded text.  The trigram
-- tokenizer finds any substring of three or more characters, which is
-- what Japanese (no spaces between words) needs.
CREATE VIRTUAL TABLE message_fts USING fts5 (
  subject, text, content = 'message', content_rowid = 'id',
  tokenize = 'trigram'
);
CREATE TRIGGER message_fts_insert AFTER INSERT ON message BEGIN
  INSERT INTO message_fts (rowid, subject, text)
  VALUES (new.id, new.subject, new.text);
END;
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

-- Evidence extracted from a message.  Addresses are also kept as 16
-- bytes (IPv4 as ::ffff:a.b.c.d) from ip to ip_end, so that "which
-- tickets mention this address or prefix" is one index range scan.
CREATE TABLE indicator (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES ticket (id),
  message_id INTEGER NOT NULL REFERENCES message (id) ON DELETE CASCADE,
  kind TEXT NOT NULL,          -- ipv4 ipv6 cidr range url domain email
  value TEXT NOT NULL,
  ip BLOB,
  ip_end BLOB,
  scope TEXT,
  own INTEGER NOT NULL DEFAULT 0,
  role TEXT,                   -- 'source': what the report is about
  ports TEXT,                  -- "22,80": ports written next to it
  count INTEGER NOT NULL,
  first_seen INTEGER,          -- event times on its lines, UTC
  last_seen INTEGER,
  context TEXT,                -- the first line it appears on
  UNIQUE (message_id, kind, value)
);
CREATE INDEX indicator_ip ON indicator (ip, ip_end);
CREATE INDEX indicator_ticket ON indicator (ticket_id);
CREATE INDEX indicator_value ON indicator (kind, value);

CREATE TABLE timestamp (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES ticket (id),
  message_id INTEGER NOT NULL REFERENCES message (id) ON DELETE CASCADE,
  utc INTEGER NOT NULL,
  original TEXT NOT NULL,
  rule TEXT NOT NULL,
  zone_assumed INTEGER NOT NULL,
  part INTEGER,                -- NULL: the subject
  line INTEGER NOT NULL
);
CREATE INDEX timestamp_ticket ON timestamp (ticket_id, utc);

CREATE TABLE excerpt (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES ticket (id),
  message_id INTEGER NOT NULL REFERENCES message (id) ON DELETE CASCADE,
  part INTEGER NOT NULL,
  first_line INTEGER NOT NULL,
  last_line INTEGER NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX excerpt_ticket ON excerpt (ticket_id);

-- Why the rules chose a category: each rule that fired.
CREATE TABLE reason (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES ticket (id),
  message_id INTEGER NOT NULL REFERENCES message (id) ON DELETE CASCADE,
  category TEXT NOT NULL,
  rule TEXT NOT NULL,
  score INTEGER NOT NULL,
  place TEXT NOT NULL,
  matched TEXT
);
CREATE INDEX reason_ticket ON reason (ticket_id);

-- Fields of the team's report form, when a report used it.
CREATE TABLE form_field (
  ticket_id INTEGER NOT NULL REFERENCES ticket (id),
  message_id INTEGER NOT NULL REFERENCES message (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX form_field_ticket ON form_field (ticket_id);

-- Acknowledgements: written in the filing transaction, then sent.
-- queued -> sending -> sent, or back to queued/failed with the error; a
-- crash while "sending" leaves it there, to be checked, never resent
-- blindly (it may have gone out).
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES ticket (id),
  reply_to INTEGER REFERENCES message (id),
  message_id TEXT NOT NULL,             -- our Message-ID, without <>
  recipient TEXT NOT NULL,
  created INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued'
    CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  sent INTEGER,
  raw BLOB NOT NULL
);
CREATE INDEX outbox_state ON outbox (state);
CREATE INDEX outbox_recipient ON outbox (recipient, created);
CREATE INDEX outbox_message_id ON outbox (message_id);

-- Addresses our acknowledgements bounced from.
CREATE TABLE undeliverable (
  address TEXT PRIMARY KEY,
  since INTEGER NOT NULL,
  ticket_id INTEGER REFERENCES ticket (id)
);

-- How far `madoguchi import` got in each source, so that an interrupted
-- import resumes where it stopped (the dedup key would skip the rest, but
-- only after parsing it again).
CREATE TABLE import_state (
  source TEXT PRIMARY KEY,
  done INTEGER NOT NULL
);

-- Settings of this database; tag_secret keys the check in ticket tags.
CREATE TABLE setting (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
INSERT INTO setting (name, value) VALUES ('tag_secret', hex (randomblob (32)));

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
