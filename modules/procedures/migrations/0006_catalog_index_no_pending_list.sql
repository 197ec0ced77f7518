-- procedures 0006: the catalog's trigram index without GIN's pending list. With fastupdate on (the default), rows
-- loaded by the catalog generator wait in a pending list that every search scans linearly until a vacuum merges it:
-- searches took ~70 ms instead of ~10 after a fresh load (bench/procedures.sh). The catalog is written rarely and in
-- bulk, so new entries go straight into the index; scripts/seed.sh also vacuums after loading.
ALTER INDEX procedures_search_trgm SET (fastupdate = off);
SELECT gin_clean_pending_list('procedures_search_trgm'::regclass);
