"""Start-up and output shared by mudi's PyQGIS test scripts (run by api/qgis_test.go).

A script defines main(args) -> dict and ends with harness.run(main). args is the JSON object
given as the first command-line argument; the dict main returns is written as JSON to the file
args["out"], with the QGIS version and the messages QGIS logged while it ran (under "qgis" and
"log"). Run with Debian's /usr/bin/python3 and QT_QPA_PLATFORM=offscreen.
"""
import json
import sys
import traceback

from qgis.core import Qgis, QgsApplication
from qgis.PyQt.QtCore import QDate, QDateTime, QTime, QVariant


def value(v):
    """Converts an attribute value of QGIS to JSON: NULL as null, dates as ISO 8601 text."""
    if v is None or (isinstance(v, QVariant) and v.isNull()):
        return None
    if isinstance(v, QDateTime):
        return v.toString("yyyy-MM-ddTHH:mm:ss") if v.isValid() else None
    if isinstance(v, QDate):
        return v.toString("yyyy-MM-dd") if v.isValid() else None
    if isinstance(v, QTime):
        return v.toString("HH:mm:ss") if v.isValid() else None
    if isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


def oapif_uri(url, typename, page_size=500):
    """The data source of an OGC API – Features layer, as QGIS's Add Layer dialog writes it."""
    return "url='%s' typename='%s' pagingEnabled='true' pageSize='%d'" % (url, typename, page_size)


def run(main):
    args = json.loads(sys.argv[1])
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    log = []
    QgsApplication.messageLog().messageReceived.connect(
        lambda msg, tag, level: log.append({"tag": tag, "level": int(level), "message": msg}))
    try:
        result = main(args)
    except Exception:  # reported to the Go test, which fails
        result = {"error": traceback.format_exc()}
    result["qgis"] = Qgis.version()
    result["log"] = log
    with open(args["out"], "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)
    app.exitQgis()
