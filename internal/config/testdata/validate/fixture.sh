#!/bin/sh
# Creates the directory layout the validation cases refer to as @DIR@.
# validate_test.go builds the same layout in Go (makeValidateFixture).
set -e
d=$1
mkdir -p "$d/bin" "$d/notpg" "$d/pg15/pg_wal" "$d/pg13/pg_wal" "$d/nowal"
for b in pg_ctl initdb pg_controldata pg_basebackup pg_isready pg_rewind; do
  printf '#!/bin/sh\nexit 0\n' > "$d/bin/$b"; chmod 755 "$d/bin/$b"
done
printf '#!/bin/sh\necho "postgres (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)"\n' > "$d/bin/postgres"
chmod 755 "$d/bin/postgres"
echo x > "$d/afile"; echo x > "$d/notpg/x"
echo 15 > "$d/pg15/PG_VERSION"; echo 13 > "$d/pg13/PG_VERSION"; echo 15 > "$d/nowal/PG_VERSION"
