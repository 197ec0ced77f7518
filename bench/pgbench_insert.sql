-- bench/pgbench_insert.sql — the baseline of bench/procedures.sh: one plain single-row INSERT per transaction into
-- procbench_plain, a scratch table with the columns of dossiers and a bigserial primary key, and nothing else (no
-- other index, no foreign key, no trigger). The row is about as wide as a submitted dossier (the same kind of form).
--   pgbench -n -M extended -c POOL -j 1 -T SECONDS -f bench/pgbench_insert.sql   (procedures.sh creates the table)
\set n random(1, 1000000000)
INSERT INTO procbench_plain (code, procedure_code, unit_code, subject, submitted_by, status, version, form, fee_vnd,
                             submitted_at, due_date, updated_at)
VALUES ('HN-P-' || :n, '1.001193', 'HN-W-001', 'procbench-plain', 'procbench-plain', 'submitted', 1,
        '{"ho_ten": "Nguyễn Thị Bench", "so_dien_thoai": "0912345678", "dia_chi": "Số 1 phố Huế, Hai Bà Trưng, Hà Nội", "hinh_thuc_nhan_ket_qua": "truc_tuyen", "ngay_su_kien": "2026-01-15", "gioi_tinh": "nu"}',
        0, now(), current_date + 5, now());
