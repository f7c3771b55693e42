"""The schema of ``candidates.db`` as an ordered list of migrations, applied by ``PRAGMA user_version``.

A migration is never edited once released: a change is a new entry at the end.  Decisions are
append-only, enforced by triggers, so no code path (and no hand-typed SQL) can rewrite the record.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: the first release.
    """
    CREATE TABLE sources (
        name TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        url TEXT,
        etag TEXT,
        last_modified TEXT,
        last_attempt TEXT,
        last_success TEXT,
        last_error TEXT,
        last_error_at TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        not_before TEXT,                 -- Retry-After or backoff: no fetch before this time
        paused INTEGER NOT NULL DEFAULT 0,
        paused_reason TEXT,
        cursor TEXT                      -- resumable harvests (OAI-PMH resumption token)
    );
    CREATE TABLE fetches (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'not_modified', 'error')),
        requests INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        items INTEGER NOT NULL DEFAULT 0,
        new_works INTEGER NOT NULL DEFAULT 0,
        new_candidates INTEGER NOT NULL DEFAULT 0,
        error TEXT
    );
    CREATE INDEX fetches_source ON fetches (source, started_at);
    CREATE TABLE works (
        id TEXT PRIMARY KEY,             -- canonical id: arxiv:..., doi:..., url:...
        title TEXT NOT NULL,
        summary TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL,
        published TEXT,
        authors TEXT NOT NULL DEFAULT '[]',
        links TEXT NOT NULL DEFAULT '[]',
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        -- The latest decision, kept here in the same transaction as the append to `decisions`
        -- so the queue is one indexed read.
        status TEXT NOT NULL DEFAULT 'new'
            CHECK (status IN ('new', 'accepted', 'rejected', 'deferred', 'out_of_scope')),
        queued_at TEXT,                  -- joined the review queue (NULL: never above the threshold)
        queue_reason TEXT,               -- score, submitted, audit, uncertain
        -- The latest score, copied from `scores` for the same reason.
        score REAL,
        model_version INTEGER,
        category TEXT
    );
    CREATE INDEX works_queue ON works (status, score DESC) WHERE queued_at IS NOT NULL;
    CREATE INDEX works_first_seen ON works (first_seen);
    CREATE INDEX works_unscored ON works (model_version);
    CREATE TABLE sightings (
        id INTEGER PRIMARY KEY,
        work_id TEXT NOT NULL REFERENCES works (id),
        source TEXT NOT NULL,
        item_key TEXT NOT NULL,
        url TEXT,
        title TEXT,
        seen_at TEXT NOT NULL,
        announce_type TEXT,
        version INTEGER,
        via TEXT,
        UNIQUE (source, item_key, work_id)
    );
    CREATE INDEX sightings_work ON sightings (work_id);
    CREATE INDEX sightings_source ON sightings (source, seen_at);
    CREATE TABLE scores (
        work_id TEXT NOT NULL REFERENCES works (id),
        model_version INTEGER NOT NULL,
        score REAL NOT NULL,
        threshold REAL NOT NULL,
        category TEXT,
        category_confidence REAL,
        category_fits INTEGER,
        why TEXT NOT NULL DEFAULT '[]',
        nearest TEXT NOT NULL DEFAULT '[]',
        scored_at TEXT NOT NULL,
        PRIMARY KEY (work_id, model_version)
    );
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        work_id TEXT NOT NULL REFERENCES works (id),
        action TEXT NOT NULL CHECK (action IN ('accept', 'reject', 'defer', 'out_of_scope', 'undo')),
        category TEXT,
        note TEXT,
        reverses INTEGER REFERENCES decisions (id),
        decided_at TEXT NOT NULL,
        model_version INTEGER,
        score REAL,
        origin TEXT NOT NULL DEFAULT 'cli'
    );
    CREATE INDEX decisions_work ON decisions (work_id, id);
    CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
        BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
    CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
        BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
    CREATE TABLE catalog (
        id INTEGER PRIMARY KEY,          -- the public list's ID column
        work_id TEXT UNIQUE,
        title TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        category TEXT,
        url TEXT,
        year INTEGER,
        date_published TEXT,
        authors TEXT,
        affiliations TEXT,
        submitter TEXT,
        flags TEXT NOT NULL DEFAULT '[]',
        origin TEXT NOT NULL,            -- seed, import, accept
        added_at TEXT NOT NULL
    );
    CREATE TABLE models (
        version INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 0,
        trained_on TEXT NOT NULL DEFAULT '{}',
        params TEXT NOT NULL DEFAULT '{}',
        metrics TEXT NOT NULL DEFAULT '{}',
        note TEXT,
        blob BLOB NOT NULL               -- arrays and vocabulary (npz + JSON), never a pickle
    );
    CREATE TABLE settings (
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        set_at TEXT NOT NULL,
        reason TEXT
    );
    CREATE INDEX settings_key ON settings (key, set_at);
    """,
    # 2: full-text search over works (title + summary) for the review page's "/" search.  A plain FTS5
    # table keyed by work id (not external content on the implicit rowid, which VACUUM may renumber),
    # kept in sync by triggers, and filled from the works already there.
    """
    CREATE VIRTUAL TABLE works_fts USING fts5(work_id UNINDEXED, title, summary, tokenize = 'unicode61 remove_diacritics 2');
    INSERT INTO works_fts (work_id, title, summary) SELECT id, title, summary FROM works;
    CREATE TRIGGER works_fts_insert AFTER INSERT ON works BEGIN
        INSERT INTO works_fts (work_id, title, summary) VALUES (new.id, new.title, new.summary);
    END;
    CREATE TRIGGER works_fts_update AFTER UPDATE OF id, title, summary ON works BEGIN
        DELETE FROM works_fts WHERE work_id = old.id;
        INSERT INTO works_fts (work_id, title, summary) VALUES (new.id, new.title, new.summary);
    END;
    CREATE TRIGGER works_fts_delete AFTER DELETE ON works BEGIN
        DELETE FROM works_fts WHERE work_id = old.id;
    END;
    """,
    # 3: linking, backfill and submissions.  `work_titles` holds each work's normalised title (Python's
    # normalisation, so it is filled by the store as works arrive, from `works_rowid` on; existing works
    # are indexed on first use).  `backfills` keeps an OAI-PMH harvest's resumption token after each page,
    # so an interrupted backfill resumes where it stopped.  `submissions` records who sent what and why.
    """
    CREATE TABLE work_titles (
        work_id TEXT PRIMARY KEY,
        norm TEXT NOT NULL,
        works_rowid INTEGER NOT NULL
    );
    CREATE INDEX work_titles_norm ON work_titles (norm);
    CREATE INDEX work_titles_rowid ON work_titles (works_rowid);
    CREATE TABLE backfills (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,        -- endpoint, format, set, dates and categories: one harvest
        endpoint TEXT NOT NULL,
        metadata_prefix TEXT NOT NULL,
        set_spec TEXT,
        from_date TEXT,
        until_date TEXT,
        categories TEXT NOT NULL DEFAULT '[]',
        token TEXT,                      -- the next resumptionToken; NULL before the first page
        pages INTEGER NOT NULL DEFAULT 0,
        records INTEGER NOT NULL DEFAULT 0,
        new_works INTEGER NOT NULL DEFAULT 0,
        new_candidates INTEGER NOT NULL DEFAULT 0,
        complete_size INTEGER,
        last_datestamp TEXT,
        started_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        finished_at TEXT
    );
    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        work_id TEXT NOT NULL REFERENCES works (id),
        url TEXT NOT NULL,
        note TEXT,
        submitted_at TEXT NOT NULL
    );
    CREATE INDEX submissions_work ON submissions (work_id);
    """,
    # 4: the review queue at a million works (bench/bench_queue.py): one week of the queue, and the whole
    # queue in score order, each read through its own index instead of every queued row.
    """
    CREATE INDEX works_queue_week ON works (queued_at) WHERE queued_at IS NOT NULL;
    CREATE INDEX works_queue_score ON works (score DESC, id) WHERE queued_at IS NOT NULL;
    """,
    # 5: the queue filtered to one source (issue 9): each of the source's sightings is checked against the
    # queued works alone, in a small index that also holds the status and score, instead of a read of the
    # work's whole row (title, summary) among a million.  Named with INDEXED BY in rsiwatch/store/queue.py.
    """
    CREATE INDEX works_queued_id ON works (id, status, score) WHERE queued_at IS NOT NULL;
    """,
    # 6: new works reach the full-text index from ``Store.ingest`` (the only place works are inserted), in
    # one batch per transaction: the per-row trigger cost 138 us a work against 73 for the same rows in a
    # batch, most of the store's share of a crawl (issue 9).  Updates and deletes keep their triggers.
    """
    DROP TRIGGER works_fts_insert;
    """,
    # 7: the near-duplicate title probe of linking (crawler/link.py) reads a titles-only index of the
    # normalised titles, without positions: 0.07 ms a probe against 0.28 ms in works_fts at 20,000 works,
    # where each word's list also carries every summary's positions.  Filled with work_titles.
    """
    CREATE VIRTUAL TABLE titles_fts USING fts5(work_id UNINDEXED, norm, detail = none);
    INSERT INTO titles_fts (work_id, norm) SELECT work_id, norm FROM work_titles;
    """,
    # 8: catalog entries edited on the review page keep every earlier value: each edit appends the fields
    # it changed, before and after, and the log cannot be rewritten (as decisions cannot).
    """
    CREATE TABLE catalog_edits (
        id INTEGER PRIMARY KEY,
        entry_id INTEGER NOT NULL,
        before TEXT NOT NULL,            -- JSON: the changed fields as they were
        after TEXT NOT NULL,             -- JSON: the same fields as they became
        edited_at TEXT NOT NULL,
        origin TEXT NOT NULL
    );
    CREATE INDEX catalog_edits_entry ON catalog_edits (entry_id, id);
    CREATE TRIGGER catalog_edits_no_update BEFORE UPDATE ON catalog_edits
        BEGIN SELECT RAISE(ABORT, 'catalog edits are append-only'); END;
    CREATE TRIGGER catalog_edits_no_delete BEFORE DELETE ON catalog_edits
        BEGIN SELECT RAISE(ABORT, 'catalog edits are append-only'); END;
    """,
    # 9: one truth per work (issue 13).  Who took each decision and made each edit; unknown columns of an
    # imported catalog file (JSON, exported again); an entry taken off the published catalog by a reject,
    # an out-of-scope or an undo keeps its row (``withdrawn_at``, NULL while published) so nothing is
    # erased; an edit made by a decision names it (``decision_id``) so an undo can restore the entry.
    # Entries of works whose standing decision is no longer an accept (earlier releases left them listed)
    # are withdrawn here, each with its logged edit.
    """
    ALTER TABLE decisions ADD COLUMN decided_by TEXT;
    ALTER TABLE catalog_edits ADD COLUMN edited_by TEXT;
    ALTER TABLE catalog_edits ADD COLUMN decision_id INTEGER;
    ALTER TABLE catalog ADD COLUMN extra TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE catalog ADD COLUMN withdrawn_at TEXT;
    INSERT INTO catalog_edits (entry_id, before, after, edited_at, origin)
        SELECT catalog.id, '{"withdrawn_at": null}',
               json_object('withdrawn_at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
               strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'migration: one truth for each work'
        FROM catalog JOIN works ON works.id = catalog.work_id WHERE works.status != 'accepted';
    UPDATE catalog SET withdrawn_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        WHERE work_id IN (SELECT id FROM works WHERE status != 'accepted');
    """,
    # 10: bounded growth (issue 17).  The full-text index becomes external content over `works`, so each
    # title and summary is stored once (migration 2 kept a second copy: 11 MB of a 39 MB database).  Its
    # rowid is `works.doc`, an ordinary column with a unique index, because VACUUM may renumber the implicit
    # rowid of `works` (no INTEGER PRIMARY KEY) but never a column's value.  `doc` starts as each work's old
    # index rowid, and an edit of the text takes the next `doc`, so search keeps its order (newest arrival
    # or edit first).  `fetch_summaries` keeps, per source, the totals of fetch rows pruned by age.
    """
    ALTER TABLE works ADD COLUMN doc INTEGER;
    UPDATE works SET doc = f.rowid FROM (SELECT rowid, work_id FROM works_fts) AS f WHERE f.work_id = works.id;
    UPDATE works SET doc = (SELECT COALESCE(MAX(doc), 0) FROM works) + rowid WHERE doc IS NULL;
    CREATE UNIQUE INDEX works_doc ON works (doc);
    DROP TRIGGER works_fts_update;
    DROP TRIGGER works_fts_delete;
    DROP TABLE works_fts;
    CREATE VIRTUAL TABLE works_fts USING fts5(title, summary, content = 'works', content_rowid = 'doc', tokenize = 'unicode61 remove_diacritics 2');
    INSERT INTO works_fts (works_fts) VALUES ('rebuild');
    CREATE TRIGGER works_fts_update AFTER UPDATE OF title, summary ON works BEGIN
        INSERT INTO works_fts (works_fts, rowid, title, summary) VALUES ('delete', old.doc, old.title, old.summary);
        UPDATE works SET doc = (SELECT MAX(doc) FROM works) + 1 WHERE id = new.id;
        INSERT INTO works_fts (rowid, title, summary) SELECT doc, title, summary FROM works WHERE id = new.id;
    END;
    CREATE TRIGGER works_fts_delete AFTER DELETE ON works BEGIN
        INSERT INTO works_fts (works_fts, rowid, title, summary) VALUES ('delete', old.doc, old.title, old.summary);
    END;
    CREATE TABLE fetch_summaries (
        source TEXT PRIMARY KEY,
        first_started_at TEXT NOT NULL,  -- the span of the fetches folded in
        last_started_at TEXT NOT NULL,
        fetches INTEGER NOT NULL DEFAULT 0,
        ok INTEGER NOT NULL DEFAULT 0,
        not_modified INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        requests INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        items INTEGER NOT NULL DEFAULT 0,
        new_works INTEGER NOT NULL DEFAULT 0,
        new_candidates INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX fetches_started ON fetches (started_at);
    """,
    # 11: the public form (issue 14): `inbox` holds what readers send through `serve --public` until a crawl
    # reads the page (a POST never fetches anything); a submission whose page cannot be read joins the
    # queue anyway and its fetch is tried again later.  A submission credits its finder (`submitter`).
    """
    CREATE TABLE inbox (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL,
        why TEXT NOT NULL,
        submitter TEXT,
        received_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try TEXT NOT NULL,          -- no fetch before this time
        last_error TEXT,
        work_id TEXT,                    -- the work it joined the queue as (a placeholder until read)
        read_at TEXT                     -- the page was read: nothing left to do
    );
    CREATE INDEX inbox_due ON inbox (next_try) WHERE read_at IS NULL;
    ALTER TABLE submissions ADD COLUMN submitter TEXT;
    ALTER TABLE submissions ADD COLUMN fetch_error TEXT;
    """,
    # 12: rules beside the model (issue 25).  `muted_by` names the mute rule that keeps an undecided work out
    # of the queue (the work stays, searchable, and in the audit's population); `rule_matches` records
    # what each rule did to each work it matched (queued it, took it out, kept it out), for the card and
    # for `tune`'s per-rule figures.
    """
    ALTER TABLE works ADD COLUMN muted_by TEXT;
    CREATE TABLE rule_matches (
        work_id TEXT NOT NULL REFERENCES works (id),
        rule TEXT NOT NULL,              -- its label: "pinned author: David Silver"
        action TEXT NOT NULL CHECK (action IN ('pin', 'mute')),
        effect TEXT NOT NULL CHECK (effect IN ('added', 'removed', 'kept_out', 'none')),
        matched_at TEXT NOT NULL,
        PRIMARY KEY (work_id, rule)
    );
    CREATE INDEX rule_matches_rule ON rule_matches (rule);
    """,
    # 13: the scholarly graph (issue 24).  `openalex_ids` caches which OpenAlex work a catalog work is (a
    # lookup is free but not instant); `citations` records which catalog works a crawled work cites (no
    # foreign key: the citation watch records them as it reads, before the work is stored); `work_meta`
    # holds what OpenAlex says of a queued work (affiliations, DOI and venue of a published version, code),
    # read by the accept draft; `catalog_watch` is what arXiv said of a catalog work at the last check, and
    # `catalog_flags` the news a check found, until the curator applies or dismisses it.
    """
    CREATE TABLE openalex_ids (
        work_id TEXT PRIMARY KEY,
        openalex_id TEXT,                -- NULL: OpenAlex does not know it
        looked_up_at TEXT NOT NULL
    );
    CREATE TABLE citations (
        work_id TEXT NOT NULL,
        cited_work_id TEXT NOT NULL,
        source TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        PRIMARY KEY (work_id, cited_work_id)
    );
    CREATE INDEX citations_seen ON citations (seen_at);
    CREATE TABLE work_meta (
        work_id TEXT PRIMARY KEY,
        openalex_id TEXT,
        affiliations TEXT,
        doi TEXT,
        venue TEXT,
        code_url TEXT,
        origin TEXT NOT NULL,            -- where the values came from, shown beside them
        fetched_at TEXT NOT NULL
    );
    CREATE TABLE catalog_watch (
        work_id TEXT PRIMARY KEY,
        version INTEGER,
        title TEXT,
        withdrawn INTEGER NOT NULL DEFAULT 0,
        journal_ref TEXT,
        doi TEXT,
        checked_at TEXT NOT NULL
    );
    CREATE TABLE catalog_flags (
        id INTEGER PRIMARY KEY,
        entry_id INTEGER NOT NULL,
        work_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('new_version', 'withdrawn', 'published', 'title_changed')),
        detail TEXT NOT NULL,            -- what the curator reads: "v3 since accepted"
        value TEXT,                      -- what applying it would write (a title, a venue), as JSON
        found_at TEXT NOT NULL,
        resolved_at TEXT,
        resolution TEXT CHECK (resolution IN ('applied', 'dismissed')),
        resolved_by TEXT
    );
    CREATE INDEX catalog_flags_open ON catalog_flags (entry_id) WHERE resolved_at IS NULL;
    """,
    # 14: a database `init` made says so (issue 21): the daemon refuses one that any other command or a
    # mistyped path created, with no seed catalog and models trained on nothing.  A database of an earlier
    # release that holds a catalog was set up by `init` (or has been used as if it were): it counts.
    """
    INSERT INTO settings (key, value, set_at, reason)
        SELECT 'initialised', json_object('by', 'migration'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
               'a database of an earlier release with a catalog'
        WHERE EXISTS (SELECT 1 FROM catalog);
    """,
    # 15: one date model (issue 20): beside Date Published as written ("April 2023", "21/03/2025") the
    # parsed date (ISO: 2023-04, 2025-03-21, 2016) and its precision (year, month, day), which the feed,
    # sorting and the trend use.  Filled by the store from rsiwatch/dates.py on every write; rows of
    # earlier releases are filled when the store opens (``fill_parsed_dates``: SQL cannot parse them).
    """
    ALTER TABLE catalog ADD COLUMN date_iso TEXT;
    ALTER TABLE catalog ADD COLUMN date_precision TEXT CHECK (date_precision IN ('year', 'month', 'day'));
    """,
    # 16: an outage is survived (issue 21).  0.1 paused a source for good after five failures in a row, so an
    # outage of about 75 minutes stopped every source silently.  Failing sources are now retried at a capped
    # interval and reported instead; the sources 0.1 paused that way are resumed (the reason keeps what it was,
    # for rsiwatch/store/upgrade.py's account of the upgrade).  A source paused by hand stays paused.
    """
    UPDATE sources SET paused = 0, not_before = NULL, paused_reason = 'resumed by the upgrade (was: ' || paused_reason || ')'
        WHERE paused = 1 AND paused_reason LIKE 'paused after % consecutive failures%';
    """,
    # 17: politeness across processes (issue 21): each host's (host group's) last request time, read by the
    # next crawl or backfill so its first request keeps the spacing the previous process kept inside.
    # Scores of superseded models that nothing refers to fold into one row per model version.
    """
    CREATE TABLE host_requests (
        key TEXT PRIMARY KEY,            -- a host, or "group:NAME" for hosts that share one budget
        last_at REAL NOT NULL            -- wall-clock seconds (Unix time) of the latest request's start or end
    );
    CREATE TABLE score_summaries (
        model_version INTEGER PRIMARY KEY,
        scores INTEGER NOT NULL DEFAULT 0,       -- score rows folded away
        at_or_above INTEGER NOT NULL DEFAULT 0,  -- of which reached the threshold recorded with them
        score_sum REAL NOT NULL DEFAULT 0,
        first_scored_at TEXT,
        last_scored_at TEXT
    );
    """,
    # 18: Chinese, Japanese and Korean words are found inside a title or summary (the user walk of issue 23).
    # works_fts's unicode61 tokenizer keeps a run of Han, kana or Hangul as one token, so only the run's
    # start was found.  `works_cjk` indexes the works whose title or summary holds those scripts with the
    # trigram tokenizer (any substring of 3 characters or more; rsiwatch/store/cjk.py reads it), keeping its
    # own copy of their text so a row is deleted by rowid whether it was indexed or not: an English stream
    # adds nothing to it.  Rowid `works.doc`, as works_fts.  New works reach it from ``Works.ingest``
    # (``cjk.has_cjk``: the same code points as the GLOB pattern here, ``cjk.CJK_GLOB``); an edit of the
    # text and a delete keep it by trigger, the edit in works_fts's trigger, which moves `doc`.  GLOB reads
    # an English summary in 0.2 ms (200 s at a million works): only text with a byte above ASCII (more bytes
    # than characters) is read, 2.4 us a work on the arXiv stream.
    """
    CREATE VIRTUAL TABLE works_cjk USING fts5(title, summary, tokenize = 'trigram');
    INSERT INTO works_cjk (rowid, title, summary) SELECT doc, title, summary FROM works
        WHERE (length(CAST(title AS BLOB)) > length(title) AND title GLOB '*[\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]*') OR (length(CAST(summary AS BLOB)) > length(summary) AND summary GLOB '*[\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]*');
    DROP TRIGGER works_fts_update;
    CREATE TRIGGER works_fts_update AFTER UPDATE OF title, summary ON works BEGIN
        INSERT INTO works_fts (works_fts, rowid, title, summary) VALUES ('delete', old.doc, old.title, old.summary);
        DELETE FROM works_cjk WHERE rowid = old.doc;
        UPDATE works SET doc = (SELECT MAX(doc) FROM works) + 1 WHERE id = new.id;
        INSERT INTO works_fts (rowid, title, summary) SELECT doc, title, summary FROM works WHERE id = new.id;
        INSERT INTO works_cjk (rowid, title, summary) SELECT doc, title, summary FROM works
            WHERE id = new.id AND ((length(CAST(title AS BLOB)) > length(title) AND title GLOB '*[\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]*') OR (length(CAST(summary AS BLOB)) > length(summary) AND summary GLOB '*[\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]*'));
    END;
    CREATE TRIGGER works_cjk_delete AFTER DELETE ON works BEGIN
        DELETE FROM works_cjk WHERE rowid = old.doc;
    END;
    """,
]
