#!/usr/bin/env python3
"""Copy every table of a SQLite warehouse into the BigQuery emulator (stdlib only).

Usage: load_bigquery.py BASE_URL SQLITE_FILE PROJECT DATASET

The tests call this to give bqemulator the same warehouse `propcast sample-data` wrote, so the
same exporter queries can run on both. Column types follow docs/data.md (TEXT -> STRING,
INTEGER -> INT64, REAL -> FLOAT64, DATE -> DATE, BOOLEAN -> BOOL); NOT NULL columns become
REQUIRED. Each table is written as a CSV with a header row and loaded by a load job whose
source is a file:// path: a shortcut only the emulator offers (the real service loads from
gs:// or an upload), and about 0.3 s for 100,000 rows.
"""
import csv
import json
import os
import sqlite3
import sys
import tempfile
import urllib.error
import urllib.request

base_url, db_path, project, dataset = sys.argv[1:5]
api = f"{base_url}/bigquery/v2/projects/{project}"
TYPES = {"TEXT": "STRING", "INTEGER": "INT64", "REAL": "FLOAT64", "DATE": "DATE", "BOOLEAN": "BOOL"}


def call(path, body):
    request = urllib.request.Request(api + path, method="POST", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        return json.load(urllib.request.urlopen(request))
    except urllib.error.HTTPError as e:
        return {"httpStatus": e.code, **json.loads(e.read() or b"{}")}


created = call("/datasets", {"datasetReference": {"projectId": project, "datasetId": dataset}})
if created.get("httpStatus") not in (None, 409):
    sys.exit(f"datasets.insert failed: {created}")

db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
folder = tempfile.mkdtemp(prefix="propcast-bq-load.")
tables = [r[0] for r in db.execute(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
for table in tables:
    columns = db.execute(f'PRAGMA table_info("{table}")').fetchall()  # cid, name, type, notnull, ...
    fields = [{"name": c[1], "type": TYPES[c[2].upper()], "mode": "REQUIRED" if c[3] else "NULLABLE"}
              for c in columns]
    path = os.path.join(folder, table + ".csv")
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([c[1] for c in columns])
        for row in db.execute(f'SELECT * FROM "{table}"'):
            writer.writerow(["" if v is None else v for v in row])
    job = call("/jobs", {"configuration": {"load": {
        "destinationTable": {"projectId": project, "datasetId": dataset, "tableId": table},
        "sourceUris": ["file://" + path], "sourceFormat": "CSV", "skipLeadingRows": 1,
        "writeDisposition": "WRITE_TRUNCATE", "createDisposition": "CREATE_IF_NEEDED",
        "schema": {"fields": fields}}}})
    if "httpStatus" in job or "errorResult" in job.get("status", {}):
        sys.exit(f"loading `{table}` failed: {job}")
print(f"loaded {len(tables)} tables into {project}.{dataset}")
