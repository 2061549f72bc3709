#!/usr/bin/python3
"""A relying party on Debian's python3-authlib, driven by test/interop/authlib.test.ts.

One JSON object on stdin, one on stdout (exit 1 with {"error", "message"} on failure):
  start   {issuer, client_id, redirect_uri, scope, auth_method, client_secret | private_jwk}
          -> {authorization_url, state, nonce, code_verifier}
  finish  the same plus start's output and {redirect_url, id_token_alg}
          -> {id_token_header, id_token_claims, userinfo, refreshed}

It does what a careful authlib app does: discovery, PKCE (S256), state, nonce, the RFC 9207
`iss` of the response, the ID token's signature against the JWKS with the one expected
algorithm, its claims, userinfo, and a refresh.
"""
import json
import sys
from urllib.parse import parse_qs, urlparse

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oidc.core import CodeIDToken


def discover(issuer):
    meta = requests.get(issuer + "/.well-known/openid-configuration", timeout=10).json()
    if meta["issuer"] != issuer:
        raise ValueError("discovery names another issuer: " + meta["issuer"])
    return meta


def session(cfg, meta):
    method = cfg["auth_method"]
    # For private_key_jwt authlib takes the private JWK where a secret would go.
    credential = cfg["private_jwk"] if method == "private_key_jwt" else cfg["client_secret"]
    s = OAuth2Session(cfg["client_id"], credential, token_endpoint_auth_method=method,
                      scope=cfg["scope"], redirect_uri=cfg["redirect_uri"], code_challenge_method="S256")
    if method == "private_key_jwt":
        s.register_client_auth_method(PrivateKeyJWT(meta["token_endpoint"], alg=cfg["private_jwk"]["alg"]))
    return s


def verified_claims(id_token, meta, cfg, nonce):
    keys = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    params = {"client_id": cfg["client_id"]}
    if nonce:
        params["nonce"] = nonce
    claims = JsonWebToken([cfg["id_token_alg"]]).decode(
        id_token, keys, claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": meta["issuer"]}, "aud": {"essential": True, "value": cfg["client_id"]}},
        claims_params=params)
    claims.validate(leeway=30)
    return claims


def start(cfg):
    meta = discover(cfg["issuer"])
    verifier, nonce = generate_token(64), generate_token(24)
    url, state = session(cfg, meta).create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce,
                                                             **({"prompt": cfg["prompt"]} if "prompt" in cfg else {}))
    return {"authorization_url": url, "state": state, "nonce": nonce, "code_verifier": verifier}


def finish(cfg):
    meta = discover(cfg["issuer"])
    answer = parse_qs(urlparse(cfg["redirect_url"]).query)
    if "error" in answer:
        raise RuntimeError("authorization error: " + answer["error"][0])
    if answer.get("iss", [None])[0] != meta["issuer"]:
        raise RuntimeError("the authorization response's iss is missing or wrong")
    s = session(cfg, meta)
    token = s.fetch_token(meta["token_endpoint"], authorization_response=cfg["redirect_url"], state=cfg["state"], code_verifier=cfg["code_verifier"])
    claims = verified_claims(token["id_token"], meta, cfg, cfg["nonce"])
    out = {"id_token_header": claims.header, "id_token_claims": dict(claims), "userinfo": s.get(meta["userinfo_endpoint"]).json()}
    if token.get("refresh_token"):
        refreshed = s.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
        out["refreshed"] = {"rotated": refreshed.get("refresh_token") not in (None, token["refresh_token"]),
                            "id_token_claims": dict(verified_claims(refreshed["id_token"], meta, cfg, None)) if "id_token" in refreshed else None}
    return out


if __name__ == "__main__":
    try:
        json.dump({"start": start, "finish": finish}[sys.argv[1]](json.load(sys.stdin)), sys.stdout)
    except Exception as error:
        json.dump({"error": type(error).__name__, "message": str(error)}, sys.stdout)
        sys.exit(1)
