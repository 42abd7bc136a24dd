#!/usr/bin/env bash
# The demo: migrate the sample shop project (sample_project/) to head with
# alembic_guard wired into its env.py, then let `alembic check` compare the
# models with the database, CHECK constraints included.
#
#   bash scripts/demo.sh                                              # SQLite: sample_project/shop.db
#   DATABASE_URL=postgresql+psycopg://user@host:5432/db bash scripts/demo.sh
#   DATABASE_URL=mysql+pymysql://user@host:3306/db bash scripts/demo.sh
#
# Works from any directory.  Creates .venv at the repository root when it is
# missing and installs alembic_guard into it (pip install -e .).  The database
# named by DATABASE_URL must exist and be empty or already managed by the
# sample project's migrations.
set -euo pipefail

repo_root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

step() {
    printf '\n==> %s\n' "$*"
}

die() {
    printf 'demo.sh: %s\n' "$*" >&2
    exit 1
}

venv="$repo_root/.venv"

# python3 -m venv needs Debian's python3-venv package; install it when we are
# root on a Debian-like system and it is missing.
ensure_python_venv() {
    if command -v python3 >/dev/null 2>&1 && python3 -c 'import ensurepip, venv' 2>/dev/null; then
        return
    fi
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        step "Installing python3 and python3-venv with apt-get (needed to create .venv)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
    else
        die "python3 with the venv module is required (Debian/Ubuntu: apt-get install python3-venv)"
    fi
}

if ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    ensure_python_venv
    step "Creating the virtual environment $venv"
    python3 -m venv --clear "$venv"
fi

extras=""
case "${DATABASE_URL:-}" in
    mysql* | mariadb*) extras="[mysql]" ;; # PyMySQL
esac
step "Installing alembic_guard into .venv (pip install -e .${extras})"
"$venv/bin/python" -m pip install -qq --disable-pip-version-check -e ".${extras}"

alembic="$venv/bin/alembic"
cd "$repo_root/sample_project"
rm -f shop.db

if [ -n "${DATABASE_URL:-}" ]; then
    # never print a password
    database="$(printf '%s' "$DATABASE_URL" | sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#')"
else
    database="SQLite, sample_project/shop.db"
fi
echo "Sample project: $repo_root/sample_project"
echo "Database:       $database"

step "The sample project's migrations, newest first (alembic history)"
"$alembic" history

step "Upgrading the database to head; alembic_guard pre-flights the pending migrations first (alembic upgrade head)"
"$alembic" upgrade head

step "The revision the database is at now (alembic current)"
current="$("$alembic" current)"
printf '%s\n' "$current"

step "Comparing the models with the database, CHECK constraints included (alembic check)"
"$alembic" check

step "What alembic_guard adds to autogenerate, in a scratch copy: a changed CHECK (price > 0 becomes price >= 1) and a renamed column (customers.phone becomes phone_number)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cp -r "$repo_root/sample_project/." "$scratch/"
sed -i 's/CheckConstraint("price > 0", name="price_positive")/CheckConstraint("price >= 1", name="price_positive")/' "$scratch/shop/models.py"
sed -i 's/^    phone: Mapped\[str | None\]/    phone_number: Mapped[str | None]/' "$scratch/shop/models.py"
(cd "$scratch" && "$alembic" revision --autogenerate -m "demo: price rule, phone renamed" >/dev/null)
script="$(ls "$scratch"/migrations/versions/*demo_price_rule*.py)"
echo "Stock Alembic would miss the rule and drop + re-add the column; the generated script says:"
sed -n '/^def upgrade/,$p' "$script"

step "The upgrade guard, in the scratch copy: a migration that drops customers.phone is blocked before anything runs"
rm -f "$script"
head_revision="$(cd "$scratch" && "$alembic" heads | awk '{print $1}')"
cat > "$scratch/migrations/versions/ffff00000001_drop_phone.py" <<'PY'
"""drop customers.phone"""
import sqlalchemy as sa
from alembic import op

revision = "ffff00000001"
down_revision = "HEAD_REVISION"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch_op:
        batch_op.drop_column("phone")


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(32), nullable=True))
PY
sed -i "s/HEAD_REVISION/${head_revision}/" "$scratch/migrations/versions/ffff00000001_drop_phone.py"
set +e
# stdout only: Alembic also logs the same message to stderr
(cd "$scratch" && "$alembic" upgrade head 2>/dev/null)
status=$?
set -e
echo "(alembic upgrade head exited with status $status; the database is still at: $(cd "$scratch" && "$alembic" current 2>/dev/null | tail -n 1))"
[ "$status" -ne 0 ] || die "the unsafe upgrade was not blocked"

step "The same migration, reviewed: alembic_guard_allow names the rule and the reason, and the upgrade runs"
sed -i 's/^depends_on = None$/depends_on = None\nalembic_guard_allow = {"AG102": "phone is unused since the demo release"}/' \
    "$scratch/migrations/versions/ffff00000001_drop_phone.py"
(cd "$scratch" && "$alembic" upgrade head 2>&1 | grep -v '^INFO')
echo "(now at: $(cd "$scratch" && "$alembic" current 2>/dev/null | tail -n 1))"

head="$("$alembic" heads 2>/dev/null | awk '{print $1}')"
case "$current" in
    *"$head (head)"*) ;;
    *) die "the database is not at head ($head): alembic current printed '$current'" ;;
esac
printf '\nThe database (%s) is at head: %s.\n' "$database" "$head"
