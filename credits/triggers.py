"""Store-level guarantees, enforced by the database itself, not only by our code:

- ledger entries are append-only (UPDATE and DELETE are refused);
- an entry must follow the account: seq = last_seq + 1 and balance_after = balance + amount;
- inserting an entry is the only way the account's balance moves (the trigger applies it, and a
  direct UPDATE of accounts.balance_minor that does not match the last entry is refused).
"""

from __future__ import annotations

SQLITE = [
    """
    CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
    BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END
    """,
    """
    CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
    BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END
    """,
    """
    CREATE TRIGGER ledger_entries_follow_account BEFORE INSERT ON ledger_entries
    WHEN NEW.seq IS NOT (SELECT last_seq + 1 FROM accounts WHERE id = NEW.account_id)
      OR NEW.balance_after_minor IS NOT
         (SELECT balance_minor + NEW.amount_minor FROM accounts WHERE id = NEW.account_id)
    BEGIN SELECT RAISE(ABORT, 'ledger entry does not follow the account balance'); END
    """,
    """
    CREATE TRIGGER ledger_entries_apply AFTER INSERT ON ledger_entries
    BEGIN
      UPDATE accounts SET balance_minor = NEW.balance_after_minor, last_seq = NEW.seq
      WHERE id = NEW.account_id;
    END
    """,
    """
    CREATE TRIGGER accounts_balance_from_ledger BEFORE UPDATE OF balance_minor, last_seq ON accounts
    WHEN NEW.balance_minor IS NOT (SELECT balance_after_minor FROM ledger_entries
                                   WHERE account_id = NEW.id AND seq = NEW.last_seq)
    BEGIN SELECT RAISE(ABORT, 'account balance moves only through the ledger'); END
    """,
    """
    CREATE TRIGGER accounts_start_empty BEFORE INSERT ON accounts
    WHEN NEW.balance_minor <> 0 OR NEW.last_seq <> 0
    BEGIN SELECT RAISE(ABORT, 'a new account starts with an empty ledger'); END
    """,
]

POSTGRESQL = [
    """
    CREATE FUNCTION credits_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'ledger_entries is append-only'; END $$
    """,
    """
    CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION credits_ledger_append_only()
    """,
    """
    CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION credits_ledger_append_only()
    """,
    # one statement-level trigger per INSERT: it checks the whole batch against the account
    # (seq contiguous, running balance) and moves the account once, not once per row
    """
    CREATE FUNCTION credits_ledger_apply() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (
        SELECT 1 FROM (
          SELECT n.seq, n.balance_after_minor,
                 a.last_seq + row_number() OVER w AS expected_seq,
                 a.balance_minor + sum(n.amount_minor) OVER w AS expected_balance
          FROM new_rows n JOIN accounts a ON a.id = n.account_id
          WINDOW w AS (PARTITION BY n.account_id ORDER BY n.seq
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        ) checked
        WHERE checked.seq <> checked.expected_seq
           OR checked.balance_after_minor <> checked.expected_balance
      ) OR EXISTS (
        SELECT 1 FROM new_rows n LEFT JOIN accounts a ON a.id = n.account_id WHERE a.id IS NULL
      ) THEN
        RAISE EXCEPTION 'ledger entry does not follow the account balance';
      END IF;
      PERFORM set_config('credits.ledger_apply', 'on', true);
      UPDATE accounts a SET balance_minor = last.balance_after_minor, last_seq = last.seq
      FROM (SELECT DISTINCT ON (account_id) account_id, seq, balance_after_minor
            FROM new_rows ORDER BY account_id, seq DESC) last
      WHERE a.id = last.account_id;
      PERFORM set_config('credits.ledger_apply', 'off', true);
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER ledger_entries_apply AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION credits_ledger_apply()
    """,
    """
    CREATE FUNCTION credits_accounts_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NEW.balance_minor <> 0 OR NEW.last_seq <> 0 THEN
          RAISE EXCEPTION 'a new account starts with an empty ledger';
        END IF;
      ELSIF (NEW.balance_minor IS DISTINCT FROM OLD.balance_minor
             OR NEW.last_seq IS DISTINCT FROM OLD.last_seq)
            AND coalesce(current_setting('credits.ledger_apply', true), 'off') <> 'on' THEN
        RAISE EXCEPTION 'account balance moves only through the ledger';
      END IF;
      RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER accounts_guard BEFORE INSERT OR UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION credits_accounts_guard()
    """,
]

DROP_SQLITE = [
    "DROP TRIGGER IF EXISTS ledger_entries_no_update",
    "DROP TRIGGER IF EXISTS ledger_entries_no_delete",
    "DROP TRIGGER IF EXISTS ledger_entries_follow_account",
    "DROP TRIGGER IF EXISTS ledger_entries_apply",
    "DROP TRIGGER IF EXISTS accounts_balance_from_ledger",
    "DROP TRIGGER IF EXISTS accounts_start_empty",
]

DROP_POSTGRESQL = [
    "DROP TRIGGER IF EXISTS accounts_guard ON accounts",
    "DROP TRIGGER IF EXISTS ledger_entries_apply ON ledger_entries",
    "DROP TRIGGER IF EXISTS ledger_entries_no_truncate ON ledger_entries",
    "DROP TRIGGER IF EXISTS ledger_entries_append_only ON ledger_entries",
    "DROP FUNCTION IF EXISTS credits_accounts_guard()",
    "DROP FUNCTION IF EXISTS credits_ledger_apply()",
    "DROP FUNCTION IF EXISTS credits_ledger_append_only()",
]


def create_statements(dialect: str) -> list[str]:
    return {"sqlite": SQLITE, "postgresql": POSTGRESQL}[dialect]


def drop_statements(dialect: str) -> list[str]:
    return {"sqlite": DROP_SQLITE, "postgresql": DROP_POSTGRESQL}[dialect]
