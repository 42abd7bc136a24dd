"""Held-out rename scenarios, written without reading the detector.

These scenarios were written from real-world schema evolution (a shop, a blog, a
SaaS billing schema, an HR system) without opening the rename matcher, its docs or
the main corpus, so that they measure the detector fairly.  ``expected`` holds the
renames a careful reviewer would write; it is empty when the change is a drop and
an unrelated add that only looks like a rename.
"""

from __future__ import annotations

import sqlalchemy as sa

from tests.renames.rename_scenarios import RenameScenario


def _pk() -> sa.Column:
    return sa.Column("id", sa.Integer, primary_key=True)


# --- true renames ----------------------------------------------------------------


# A classic abbreviation spelled out: the product description keeps its type and
# place; only the name changes.
def _products_desc_before(md: sa.MetaData) -> None:
    sa.Table(
        "products",
        md,
        _pk(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("desc", sa.Text),
        sa.Column("price", sa.Numeric(10, 2), nullable=False),
    )


def _products_desc_after(md: sa.MetaData) -> None:
    sa.Table(
        "products",
        md,
        _pk(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("price", sa.Numeric(10, 2), nullable=False),
    )


# The team adopts the ``*_at`` convention for timestamps: same column, new name.
def _comments_created_before(md: sa.MetaData) -> None:
    sa.Table(
        "comments",
        md,
        _pk(),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
    )


def _comments_created_after(md: sa.MetaData) -> None:
    sa.Table(
        "comments",
        md,
        _pk(),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


# The foreign key to users is kept; only its meaning is made explicit (author).
def _posts_user_before(md: sa.MetaData) -> None:
    sa.Table("users", md, _pk(), sa.Column("email", sa.String(255), nullable=False))
    sa.Table(
        "posts",
        md,
        _pk(),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("body", sa.Text),
    )


def _posts_user_after(md: sa.MetaData) -> None:
    sa.Table("users", md, _pk(), sa.Column("email", sa.String(255), nullable=False))
    sa.Table(
        "posts",
        md,
        _pk(),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("body", sa.Text),
    )


# Internationalisation of addresses: ``zip`` becomes ``postal_code``, same data.
def _addresses_zip_before(md: sa.MetaData) -> None:
    sa.Table(
        "addresses",
        md,
        _pk(),
        sa.Column("street", sa.String(200), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("zip", sa.String(10)),
        sa.Column("country", sa.String(2), nullable=False),
    )


def _addresses_zip_after(md: sa.MetaData) -> None:
    sa.Table(
        "addresses",
        md,
        _pk(),
        sa.Column("street", sa.String(200), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("postal_code", sa.String(10)),
        sa.Column("country", sa.String(2), nullable=False),
    )


# Salary is split into base salary plus a new bonus: the existing amounts are the
# base salary (rename); ``bonus`` is new, nullable and appended at the end.
def _employees_salary_before(md: sa.MetaData) -> None:
    sa.Table(
        "employees",
        md,
        _pk(),
        sa.Column("full_name", sa.String(150), nullable=False),
        sa.Column("salary", sa.Numeric(10, 2), nullable=False),
        sa.Column("hired_on", sa.DateTime, nullable=False),
    )


def _employees_salary_after(md: sa.MetaData) -> None:
    sa.Table(
        "employees",
        md,
        _pk(),
        sa.Column("full_name", sa.String(150), nullable=False),
        sa.Column("base_salary", sa.Numeric(10, 2), nullable=False),
        sa.Column("hired_on", sa.DateTime, nullable=False),
        sa.Column("bonus", sa.Numeric(10, 2)),
    )


# Table renamed to the plural convention; same columns, same data.
def _blog_post_before(md: sa.MetaData) -> None:
    sa.Table(
        "blog_post",
        md,
        _pk(),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("slug", sa.String(200), nullable=False, unique=True),
        sa.Column("body", sa.Text),
        sa.Column("published_at", sa.DateTime),
    )


def _blog_post_after(md: sa.MetaData) -> None:
    sa.Table(
        "posts",
        md,
        _pk(),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("slug", sa.String(200), nullable=False, unique=True),
        sa.Column("body", sa.Text),
        sa.Column("published_at", sa.DateTime),
    )


# ``customer`` becomes ``customers``; the orders foreign key follows the rename.
def _customer_table_before(md: sa.MetaData) -> None:
    sa.Table(
        "customer",
        md,
        _pk(),
        sa.Column("email", sa.String(255), nullable=False, unique=True),
        sa.Column("name", sa.String(100)),
    )
    sa.Table(
        "orders",
        md,
        _pk(),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customer.id"), nullable=False),
        sa.Column("total", sa.Numeric(10, 2), nullable=False),
    )


def _customer_table_after(md: sa.MetaData) -> None:
    sa.Table(
        "customers",
        md,
        _pk(),
        sa.Column("email", sa.String(255), nullable=False, unique=True),
        sa.Column("name", sa.String(100)),
    )
    sa.Table(
        "orders",
        md,
        _pk(),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("total", sa.Numeric(10, 2), nullable=False),
    )


# Billing clean-up: the plan column holds plan codes and the amount is in cents;
# both columns are renamed to say so, in place, with the same types.
def _subscriptions_before(md: sa.MetaData) -> None:
    sa.Table(
        "subscriptions",
        md,
        _pk(),
        sa.Column("account_id", sa.Integer, nullable=False),
        sa.Column("plan", sa.String(50), nullable=False),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
    )


def _subscriptions_after(md: sa.MetaData) -> None:
    sa.Table(
        "subscriptions",
        md,
        _pk(),
        sa.Column("account_id", sa.Integer, nullable=False),
        sa.Column("plan_code", sa.String(50), nullable=False),
        sa.Column("amount_cents", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
    )


# The phone column is renamed and widened for international numbers in the same
# migration: still the same phone numbers.
def _users_phone_before(md: sa.MetaData) -> None:
    sa.Table(
        "users",
        md,
        _pk(),
        sa.Column("email", sa.String(255), nullable=False, unique=True),
        sa.Column("phone", sa.String(20)),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def _users_phone_after(md: sa.MetaData) -> None:
    sa.Table(
        "users",
        md,
        _pk(),
        sa.Column("email", sa.String(255), nullable=False, unique=True),
        sa.Column("phone_number", sa.String(32)),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


# Boolean flag renamed to the ``is_*`` style and made NOT NULL with a default in
# the same change: the paid/unpaid information must be kept, so it is a rename.
def _invoices_paid_before(md: sa.MetaData) -> None:
    sa.Table(
        "invoices",
        md,
        _pk(),
        sa.Column("number", sa.String(30), nullable=False, unique=True),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("paid", sa.Boolean),
        sa.Column("issued_at", sa.DateTime, nullable=False),
    )


def _invoices_paid_after(md: sa.MetaData) -> None:
    sa.Table(
        "invoices",
        md,
        _pk(),
        sa.Column("number", sa.String(30), nullable=False, unique=True),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("is_paid", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("issued_at", sa.DateTime, nullable=False),
    )


# HR table renamed away from its prefix, and a cost centre column added at the
# same time: the departments are the same rows.
def _hr_dept_before(md: sa.MetaData) -> None:
    sa.Table(
        "hr_dept",
        md,
        _pk(),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("manager_id", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def _hr_dept_after(md: sa.MetaData) -> None:
    sa.Table(
        "departments",
        md,
        _pk(),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("manager_id", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("cost_center", sa.String(20)),
    )


# Two same-typed columns renamed together; each must go to its own counterpart
# (first -> first_name, last -> last_name), not crossed.
def _employees_names_before(md: sa.MetaData) -> None:
    sa.Table(
        "staff",
        md,
        _pk(),
        sa.Column("first", sa.String(50), nullable=False),
        sa.Column("last", sa.String(50), nullable=False),
        sa.Column("email", sa.String(255), nullable=False),
    )


def _employees_names_after(md: sa.MetaData) -> None:
    sa.Table(
        "staff",
        md,
        _pk(),
        sa.Column("first_name", sa.String(50), nullable=False),
        sa.Column("last_name", sa.String(50), nullable=False),
        sa.Column("email", sa.String(255), nullable=False),
    )


# --- look-alikes that are not renames --------------------------------------------


# Fax is retired and a mobile number added: nobody would move fax numbers into
# the mobile column.  Longer, unique, and appended at the end.
def _contacts_fax_before(md: sa.MetaData) -> None:
    sa.Table(
        "contacts",
        md,
        _pk(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("fax", sa.String(20)),
        sa.Column("email", sa.String(255)),
    )


def _contacts_fax_after(md: sa.MetaData) -> None:
    sa.Table(
        "contacts",
        md,
        _pk(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("email", sa.String(255)),
        sa.Column("mobile", sa.String(32), unique=True),
    )


# A newsletter feature is removed and an audit log added in the same release:
# two unrelated tables.
def _newsletter_before(md: sa.MetaData) -> None:
    sa.Table(
        "newsletter_signups",
        md,
        _pk(),
        sa.Column("email", sa.String(255), nullable=False, unique=True),
        sa.Column("signed_up_at", sa.DateTime, nullable=False),
    )


def _newsletter_after(md: sa.MetaData) -> None:
    sa.Table(
        "audit_log",
        md,
        _pk(),
        sa.Column("actor_id", sa.Integer),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("details", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


# Shipping weight is dropped and a cost price added: both numeric, but weights are
# not prices (different precision, NOT NULL with a default, at the end).
def _products_weight_before(md: sa.MetaData) -> None:
    sa.Table(
        "catalog_items",
        md,
        _pk(),
        sa.Column("sku", sa.String(40), nullable=False, unique=True),
        sa.Column("weight_kg", sa.Numeric(8, 3)),
        sa.Column("price", sa.Numeric(10, 2), nullable=False),
    )


def _products_weight_after(md: sa.MetaData) -> None:
    sa.Table(
        "catalog_items",
        md,
        _pk(),
        sa.Column("sku", sa.String(40), nullable=False, unique=True),
        sa.Column("price", sa.Numeric(10, 2), nullable=False),
        sa.Column("cost_price", sa.Numeric(10, 2), nullable=False, server_default="0"),
    )


# The middle initial is dropped and a free-text nickname added: one character is
# not a nickname (String(1) vs String(50)).
def _employees_initial_before(md: sa.MetaData) -> None:
    sa.Table(
        "people",
        md,
        _pk(),
        sa.Column("given_name", sa.String(50), nullable=False),
        sa.Column("middle_initial", sa.String(1)),
        sa.Column("family_name", sa.String(50), nullable=False),
    )


def _employees_initial_after(md: sa.MetaData) -> None:
    sa.Table(
        "people",
        md,
        _pk(),
        sa.Column("given_name", sa.String(50), nullable=False),
        sa.Column("family_name", sa.String(50), nullable=False),
        sa.Column("nickname", sa.String(50)),
    )


# The staff flag goes away (roles moved elsewhere) and a marketing consent flag is
# added: both booleans, but consent must start false for everyone, NOT NULL with
# a default, at the end of the table.
def _accounts_flags_before(md: sa.MetaData) -> None:
    sa.Table(
        "accounts",
        md,
        _pk(),
        sa.Column("email", sa.String(255), nullable=False, unique=True),
        sa.Column("is_staff", sa.Boolean),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def _accounts_flags_after(md: sa.MetaData) -> None:
    sa.Table(
        "accounts",
        md,
        _pk(),
        sa.Column("email", sa.String(255), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("marketing_opt_in", sa.Boolean, nullable=False, server_default=sa.false()),
    )


# Coupons are discontinued and gift cards introduced: similar shape (an id, a
# unique code, an integer, a timestamp) but a different business object.
def _coupons_before(md: sa.MetaData) -> None:
    sa.Table(
        "coupons",
        md,
        _pk(),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("discount_pct", sa.Integer, nullable=False),
        sa.Column("expires_at", sa.DateTime),
    )


def _coupons_after(md: sa.MetaData) -> None:
    sa.Table(
        "gift_cards",
        md,
        _pk(),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("balance_cents", sa.Integer, nullable=False),
        sa.Column("issued_at", sa.DateTime, nullable=False),
    )


# Shipping moves to a shipments table, so ``shipped_at`` is dropped; orders gain a
# cancellation timestamp, indexed and at the end.  Different events.
def _orders_shipped_before(md: sa.MetaData) -> None:
    sa.Table(
        "shop_orders",
        md,
        _pk(),
        sa.Column("reference", sa.String(20), nullable=False, unique=True),
        sa.Column("shipped_at", sa.DateTime),
        sa.Column("total", sa.Numeric(10, 2), nullable=False),
        sa.Column("placed_at", sa.DateTime, nullable=False),
    )


def _orders_shipped_after(md: sa.MetaData) -> None:
    sa.Table(
        "shop_orders",
        md,
        _pk(),
        sa.Column("reference", sa.String(20), nullable=False, unique=True),
        sa.Column("total", sa.Numeric(10, 2), nullable=False),
        sa.Column("placed_at", sa.DateTime, nullable=False),
        sa.Column("cancelled_at", sa.DateTime, index=True),
    )


# Articles stop recording their creator and are filed under a category instead:
# both integer foreign keys, but to different tables.
def _articles_fk_before(md: sa.MetaData) -> None:
    sa.Table("members", md, _pk(), sa.Column("email", sa.String(255), nullable=False))
    sa.Table("categories", md, _pk(), sa.Column("name", sa.String(100), nullable=False))
    sa.Table(
        "articles",
        md,
        _pk(),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id")),
    )


def _articles_fk_after(md: sa.MetaData) -> None:
    sa.Table("members", md, _pk(), sa.Column("email", sa.String(255), nullable=False))
    sa.Table("categories", md, _pk(), sa.Column("name", sa.String(100), nullable=False))
    sa.Table(
        "articles",
        md,
        _pk(),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("category_id", sa.Integer, sa.ForeignKey("categories.id"), nullable=False),
    )


NONE: frozenset[tuple[str, ...]] = frozenset()

HELDOUT: list[RenameScenario] = [
    # true renames
    RenameScenario(
        "products desc -> description",
        _products_desc_before,
        _products_desc_after,
        frozenset({("column", "products", "desc", "description")}),
    ),
    RenameScenario(
        "comments created -> created_at",
        _comments_created_before,
        _comments_created_after,
        frozenset({("column", "comments", "created", "created_at")}),
    ),
    RenameScenario(
        "posts user_id -> author_id keeping the foreign key",
        _posts_user_before,
        _posts_user_after,
        frozenset({("column", "posts", "user_id", "author_id")}),
    ),
    RenameScenario(
        "addresses zip -> postal_code",
        _addresses_zip_before,
        _addresses_zip_after,
        frozenset({("column", "addresses", "zip", "postal_code")}),
    ),
    RenameScenario(
        "employees salary -> base_salary while adding bonus",
        _employees_salary_before,
        _employees_salary_after,
        frozenset({("column", "employees", "salary", "base_salary")}),
    ),
    RenameScenario(
        "table blog_post -> posts",
        _blog_post_before,
        _blog_post_after,
        frozenset({("table", "blog_post", "posts")}),
    ),
    RenameScenario(
        "table customer -> customers referenced by orders",
        _customer_table_before,
        _customer_table_after,
        frozenset({("table", "customer", "customers")}),
    ),
    RenameScenario(
        "subscriptions plan -> plan_code and amount -> amount_cents",
        _subscriptions_before,
        _subscriptions_after,
        frozenset(
            {
                ("column", "subscriptions", "plan", "plan_code"),
                ("column", "subscriptions", "amount", "amount_cents"),
            }
        ),
    ),
    RenameScenario(
        "users phone -> phone_number widened",
        _users_phone_before,
        _users_phone_after,
        frozenset({("column", "users", "phone", "phone_number")}),
    ),
    RenameScenario(
        "invoices paid -> is_paid made NOT NULL",
        _invoices_paid_before,
        _invoices_paid_after,
        frozenset({("column", "invoices", "paid", "is_paid")}),
    ),
    RenameScenario(
        "table hr_dept -> departments with a new column",
        _hr_dept_before,
        _hr_dept_after,
        frozenset({("table", "hr_dept", "departments")}),
    ),
    RenameScenario(
        "staff first/last -> first_name/last_name",
        _employees_names_before,
        _employees_names_after,
        frozenset(
            {
                ("column", "staff", "first", "first_name"),
                ("column", "staff", "last", "last_name"),
            }
        ),
    ),
    # look-alikes: not renames
    RenameScenario(
        "contacts drop fax, add mobile",
        _contacts_fax_before,
        _contacts_fax_after,
        NONE,
    ),
    RenameScenario(
        "drop newsletter_signups, create audit_log",
        _newsletter_before,
        _newsletter_after,
        NONE,
    ),
    RenameScenario(
        "catalog_items drop weight_kg, add cost_price",
        _products_weight_before,
        _products_weight_after,
        NONE,
    ),
    RenameScenario(
        "people drop middle_initial, add nickname",
        _employees_initial_before,
        _employees_initial_after,
        NONE,
    ),
    RenameScenario(
        "accounts drop is_staff, add marketing_opt_in",
        _accounts_flags_before,
        _accounts_flags_after,
        NONE,
    ),
    RenameScenario(
        "drop coupons, create gift_cards",
        _coupons_before,
        _coupons_after,
        NONE,
    ),
    RenameScenario(
        "shop_orders drop shipped_at, add cancelled_at",
        _orders_shipped_before,
        _orders_shipped_after,
        NONE,
    ),
    RenameScenario(
        "articles drop member_id, add category_id",
        _articles_fk_before,
        _articles_fk_after,
        NONE,
    ),
]
