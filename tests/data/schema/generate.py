#!/usr/bin/env python3
"""Writes v1.sql .. vN.sql: a database at exactly schema version N, as the release that introduced
migration N wrote it, holding representative rows in that version's spelling.

The schema comes from the migrations in src/store/sqlite.c, applied 1..N. The list is append only from
0.1.0 on (a released migration is never edited), so 1..N is the schema the build that introduced migration
N created; before 0.1.0 the list was still being renumbered, and those intermediate schemas never shipped.
The rows are written here, in each version's own spelling, not by the code under test. Run from the
repository root:
    python3 tests/data/schema/generate.py
Only needed once per new migration; the files are checked in and test_store_upgrade.c reads them."""
import re
import sqlite3
import sys

SRC = "src/store/sqlite.c"


def migrations(text):
    out = {}
    for m in re.finditer(r"static const char migration_(\d+)\[\]\s*=\s*((?:\s*\"(?:[^\"\\]|\\.)*\")+)\s*;", text):
        parts = re.findall(r"\"((?:[^\"\\]|\\.)*)\"", m.group(2))
        out[int(m.group(1))] = "".join(p.replace('\\"', '"').replace("\\\\", "\\") for p in parts)
    return out


def rows(v):
    """Representative rows for a database at version v, spelled as that version wrote them."""
    lost = v >= 2
    notes = "closed by hand" if v >= 5 else "exit=STOP_LOSS,alerted,closed by hand"
    kind_closed = "position.closed" if v >= 4 else "position.CLOSED"
    kind_filled = "order.filled" if v >= 4 else "order.FILLED"
    sql = [
        "INSERT INTO system_state VALUES ('run_state', 'TRADING', 1700000000000);",
        "INSERT INTO system_state VALUES ('paused', '0', 1700000000000);",
        "INSERT INTO trade_pairs (symbol, enabled, quote_per_cycle, max_positions, buy_mode, buy_offset,"
        " buy_timeout_ms, target_profit, stop_loss, max_duration_ms, sell_market_on_max_duration, cooldown_ms,"
        " created_at_ms, updated_at_ms%s) VALUES ('BTCUSDT', 1, 2000000000, 2, 'LIMIT', 100000, 60000, 500000,"
        " 2000000, NULL, 0, 0, 1700000000000, 1700000000000%s);"
        % ((", stop_loss_cooldown_ms", ", 60000") if v >= 3 else ("", "")),
        # position 1: closed by a stop-loss; position 2: holding, its limit sell open.
        "INSERT INTO positions (id, symbol, cycle, state, created_at_ms, updated_at_ms, opened_at_ms,"
        " closed_at_ms, buy_qty, cost_quote, base_received, sell_qty, sold_qty, sell_price_target, proceeds,"
        " realised_profit, dust_qty, notes%s) VALUES"
        " (1, 'BTCUSDT', 1, 'CLOSED', 1700000000000, 1700000600000, 1700000001000, 1700000600000, 50000,"
        " 2000000000, 50000, 50000, 50000, 4020000000000, 1960000000, -40000000, 0, '%s'%s),"
        " (2, 'BTCUSDT', 2, 'HOLDING', 1700000700000, 1700000701000, 1700000701000, NULL, 50000,"
        " 2000000000, 50000, 50000, 0, 4020000000000, 0, 0, 0, ''%s);"
        % ((", exit_reason, alerted", notes, ", 'STOP_LOSS', 1", ", 'NONE', 0") if v >= 5 else ("", notes, "", "")),
        "INSERT INTO position_commissions VALUES (1, 'BTC', 50), (1, 'USDT', 1960000);",
        "INSERT INTO orders (id, client_order_id, exchange_order_id, position_id, symbol, side, type,"
        " time_in_force, price, orig_qty, quote_qty, executed_qty, cumm_quote_qty, status, created_at_ms,"
        " updated_at_ms) VALUES"
        " (1, 'sb-main-1-b0', 11, 1, 'BTCUSDT', 'BUY', 'LIMIT', 'GTC', 4000000000000, 50000, 0, 50000,"
        " 2000000000, 'FILLED', 1700000000000, 1700000001000),"
        " (2, 'sb-main-1-x0', 12, 1, 'BTCUSDT', 'SELL', 'MARKET', NULL, 0, 50000, 0, 50000, 1960000000,"
        " 'FILLED', 1700000599000, 1700000600000),"
        " (3, 'sb-main-2-b0', 13, 2, 'BTCUSDT', 'BUY', 'LIMIT', 'GTC', 4000000000000, 50000, 0, 50000,"
        " 2000000000, 'FILLED', 1700000700000, 1700000701000),"
        " (4, 'sb-main-2-s0', 14, 2, 'BTCUSDT', 'SELL', 'LIMIT', 'GTC', 4020000000000, 50000, 0, 0, 0,"
        " '%s', 1700000701000, 1700000701000);" % ("LOST" if lost else "CANCELED"),
        "INSERT INTO orders (id, client_order_id, exchange_order_id, position_id, symbol, side, type,"
        " time_in_force, price, orig_qty, quote_qty, executed_qty, cumm_quote_qty, status, created_at_ms,"
        " updated_at_ms) VALUES (5, 'sb-main-2-s1', 15, 2, 'BTCUSDT', 'SELL', 'LIMIT', 'GTC', 4020000000000,"
        " 50000, 0, 0, 0, 'NEW', 1700000702000, 1700000702000);",
        "INSERT INTO fills (id, symbol, trade_id, client_order_id, price, qty, quote_qty, commission,"
        " commission_asset, is_maker, time_ms) VALUES"
        " (1, 'BTCUSDT', 501, 'sb-main-1-b0', 4000000000000, 50000, 2000000000, 50, 'BTC', 1, 1700000001000),"
        " (2, 'BTCUSDT', 502, 'sb-main-1-x0', 3920000000000, 50000, 1960000000, 1960000, 'USDT', 0,"
        " 1700000600000),"
        " (3, 'BTCUSDT', 503, 'sb-main-2-b0', 4000000000000, 50000, 2000000000, 50, 'BTC', 1, 1700000701000);",
        "INSERT INTO events (time_ms, kind, symbol, position_id, client_order_id, detail) VALUES"
        " (1700000001000, '%s', 'BTCUSDT', 1, 'sb-main-1-b0', '{}'),"
        " (1700000600000, '%s', 'BTCUSDT', 1, NULL, '{\"reason\":\"stop_loss\"}'),"
        " (1700000701000, 'order.intent', 'BTCUSDT', 2, 'sb-main-2-s1', '{}');" % (kind_filled, kind_closed),
    ]
    return "\n".join(sql)


def main():
    ms = migrations(open(SRC).read())
    if sorted(ms) != list(range(1, len(ms) + 1)):
        sys.exit("migrations are not numbered 1..N: %s" % sorted(ms))
    for v in ms:
        db = sqlite3.connect(":memory:")
        for n in range(1, v + 1):
            db.executescript(ms[n])
        db.execute("INSERT INTO system_state VALUES ('schema_version', ?, 1700000000000)", (str(v),))
        db.executescript(rows(v))
        db.commit()
        with open("tests/data/schema/v%d.sql" % v, "w") as f:
            f.write("-- A spotbot database at schema version %d (tests/data/schema/generate.py).\n" % v)
            for line in db.iterdump():
                f.write(line + "\n")


main()
