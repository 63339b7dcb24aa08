"""Edits a collection through QGIS's OAPIF provider (OGC API - Features Part 4), authenticated
by a QGIS Basic authentication configuration whose password is a mudi API key.

args: url (the OGC API landing page), typename (collection id), key (the API key), code_field
(the field holding parcel codes), and the edits, each naming its parcel by code:
  attr: {code, field, value}        change one attribute value
  geom: {code, vertex, dx, dy}      move one vertex of the geometry by dx, dy (layer CRS units)
  add:  {code, owner, ring}         add a parcel (ring: [[x, y], ...] closed, layer CRS)
  delete: {code}                    delete a parcel
  bad:  {code, field, value}        an attribute change the server must refuse, committed alone
Returns the provider's capabilities, the moved vertex (before and after), the result and
errors of each commit, the QGIS feature id of the refused change, and the feature count before
and after.
"""
from qgis.core import (QgsApplication, QgsAuthMethodConfig, QgsFeature, QgsFeatureRequest, QgsGeometry,
                       QgsPointXY, QgsVectorDataProvider, QgsVectorLayer)

import harness


def basic_auth_config(key):
    """Stores a Basic authentication configuration with the key as password; returns its id."""
    am = QgsApplication.authManager()
    if not am.masterPasswordIsSet():
        if not am.setMasterPassword("mudi-test-master-password", True):
            raise RuntimeError("cannot set the QGIS authentication master password")
    cfg = QgsAuthMethodConfig()
    cfg.setName("mudi editor key")
    cfg.setMethod("Basic")
    cfg.setConfig("username", "qgis")
    cfg.setConfig("password", key)
    stored = am.storeAuthenticationConfig(cfg)
    if isinstance(stored, tuple):
        stored, cfg = stored[0], stored[-1]
    if not stored or not cfg.id():
        raise RuntimeError("cannot store the Basic authentication configuration")
    return cfg.id()


def capabilities(provider):
    caps = provider.capabilities()

    def has(name):
        flag = getattr(QgsVectorDataProvider, name, None)
        if flag is None:  # newer enum location
            from qgis.core import Qgis
            flag = getattr(Qgis.VectorProviderCapability, name)
        return bool(caps & flag)

    return {"add": has("AddFeatures"), "delete": has("DeleteFeatures"),
            "change_attributes": has("ChangeAttributeValues"), "change_geometries": has("ChangeGeometries"),
            "text": provider.capabilitiesString()}


def by_code(layer, field, code):
    request = QgsFeatureRequest().setFilterExpression('"%s" = \'%s\'' % (field, code))
    found = list(layer.getFeatures(request))
    if len(found) != 1:
        raise RuntimeError("%d features with %s = %s" % (len(found), field, code))
    return found[0]


def main(args):
    authcfg = basic_auth_config(args["key"])
    uri = harness.oapif_uri(args["url"], args["typename"], 1000) + " authcfg='%s'" % authcfg
    layer = QgsVectorLayer(uri, "parcels", "OAPIF")
    out = {"valid": layer.isValid()}
    if not layer.isValid():
        out["error"] = layer.error().summary()
        return out
    out["capabilities"] = capabilities(layer.dataProvider())
    out["count_before"] = layer.featureCount()
    field = args["code_field"]

    if not layer.startEditing():
        raise RuntimeError("startEditing refused")
    attr = args["attr"]
    f = by_code(layer, field, attr["code"])
    out["attr_changed"] = layer.changeAttributeValue(f.id(), layer.fields().indexOf(attr["field"]), attr["value"])

    geom = args["geom"]
    g = by_code(layer, field, geom["code"])
    moved = QgsGeometry(g.geometry())
    v = moved.vertexAt(geom["vertex"])
    out["vertex_before"] = [v.x(), v.y()]
    if not moved.moveVertex(v.x() + geom["dx"], v.y() + geom["dy"], geom["vertex"]):
        raise RuntimeError("moveVertex failed")
    w = moved.vertexAt(geom["vertex"])
    out["vertex_after"] = [w.x(), w.y()]
    out["geometry_changed"] = layer.changeGeometry(g.id(), moved)

    add = args["add"]
    nf = QgsFeature(layer.fields())
    nf.setAttribute(field, add["code"])
    nf.setAttribute("QLR", add["owner"])
    nf.setGeometry(QgsGeometry.fromMultiPolygonXY([[[QgsPointXY(x, y) for x, y in add["ring"]]]]))
    out["added"] = layer.addFeature(nf)

    d = by_code(layer, field, args["delete"]["code"])
    out["deleted"] = layer.deleteFeature(d.id())

    out["commit"] = layer.commitChanges()
    out["commit_errors"] = layer.commitErrors()
    if not out["commit"]:
        layer.rollBack()

    # A change the ledger refuses, committed on its own.
    bad = args["bad"]
    if not layer.startEditing():
        raise RuntimeError("startEditing refused")
    b = by_code(layer, field, bad["code"])
    out["bad_fid"] = b.id()
    layer.changeAttributeValue(b.id(), layer.fields().indexOf(bad["field"]), bad["value"])
    out["bad_commit"] = layer.commitChanges()
    out["bad_commit_errors"] = layer.commitErrors()
    out["bad_provider_errors"] = layer.dataProvider().errors()
    layer.rollBack()

    layer.dataProvider().reloadData()
    out["count_after"] = layer.featureCount()
    return out


harness.run(main)
