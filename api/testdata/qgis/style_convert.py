"""Converts a MapLibre style with QGIS's converter (QgsMapBoxGlStyleConverter, as Add Layer >
Vector Tile with a style URL does) and applies its fill filters to a collection's features.

args: style_url, and optionally url, typename, page_size and key (an attribute identifying the
features) to apply the converted fill styles of source layer typename to the features of that
OAPIF collection.
Returns result (the converter's result code, 0 for success), error, warnings, styles (name,
source layer, geometry type, filter expression, colour and opacity of every renderer style) and
fills: for each feature, its key and the fill styles whose filter accepts it.
"""
import json
import urllib.request

from qgis.core import (QgsExpression, QgsExpressionContext, QgsExpressionContextUtils,
                       QgsMapBoxGlStyleConversionContext, QgsMapBoxGlStyleConverter, QgsVectorLayer,
                       QgsWkbTypes)

import harness


def main(args):
    with urllib.request.urlopen(args["style_url"]) as resp:
        style = json.load(resp)
    converter = QgsMapBoxGlStyleConverter()
    context = QgsMapBoxGlStyleConversionContext()
    result = converter.convert(style, context)
    out = {"result": int(result), "error": converter.errorMessage() or None, "warnings": list(converter.warnings())}
    if out["error"] is None:
        del out["error"]
    renderer = converter.renderer()
    styles = []
    for s in renderer.styles() if renderer else []:
        sym = s.symbol()
        styles.append({
            "name": s.styleName(), "layer": s.layerName(),
            "geometry": QgsWkbTypes.geometryDisplayString(s.geometryType()),
            "filter": s.filterExpression(),
            "color": sym.color().name() if sym else None,
            "opacity": sym.opacity() if sym else None,
        })
    out["styles"] = styles
    if not args.get("url"):
        return out

    layer = QgsVectorLayer(harness.oapif_uri(args["url"], args["typename"], args.get("page_size", 500)), "layer", "OAPIF")
    if not layer.isValid():
        out["error"] = "OAPIF layer not valid: " + layer.error().summary()
        return out
    fills = []
    for s in styles:
        if s["layer"] == args["typename"] and s["geometry"] == "Polygon":
            e = QgsExpression(s["filter"] or "TRUE")
            if e.hasParserError():
                out["error"] = "filter of %s: %s" % (s["name"], e.parserErrorString())
                return out
            fills.append((s["name"], e))
    matched = []
    for f in layer.getFeatures():
        ctx = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
        ctx.setFeature(f)
        hits = []
        for name, e in fills:
            if e.evaluate(ctx):
                hits.append(name)
            if e.hasEvalError():
                out["error"] = "filter of %s: %s" % (name, e.evalErrorString())
                return out
        matched.append({"key": harness.value(f[args["key"]]), "fills": hits})
    out["fills"] = matched
    return out


harness.run(main)
