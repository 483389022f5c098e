"""What soulbeat remembers: the store protocols, their records and their backends.

`base` declares `Store` = `BeatStore` + `BoardStore` + `ActionStore` (the scheduler and the turn
depend on `BeatStore` alone); `records`, `records_board` and `records_actions` are every row type
those protocols speak, so this package needs nothing above it; `codec` and `migrate` are what the
backends share. `sqlite/` holds every SQL statement run on SQLite, `postgres/` the same protocols
on PostgreSQL. No module outside this package runs SQL.
"""
