from moose_ts import SqlResource

nothing = SqlResource("nothing", setup=[], teardown=["DROP VIEW IF EXISTS v"])
