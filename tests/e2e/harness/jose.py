# SPDX-License-Identifier: Apache-2.0
"""JWS and base64url helpers of the tests: read a token's parts without verifying it,
or verify it with PyJWT (an implementation nobody here wrote) against a server's
JWKS."""
import base64
import json


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64url_encode(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_parts(token):
    """(header, claims) of a compact JWS, without verifying it."""
    h, p, _ = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p))


def scope_set(s):
    return set(s.replace(",", " ").split()) if s else set()


def verify_jwt(server, token, audience="tessera", issuer=None, jwks_uri=None):
    """Verifies a JWS with PyJWT against the server's JWKS; returns the claims."""
    import jwt as pyjwt
    client = pyjwt.PyJWKClient(jwks_uri or server.url + "/.well-known/jwks.json",
                               cache_keys=False)
    key = client.get_signing_key_from_jwt(token)
    return pyjwt.decode(token, key.key, algorithms=["ES256", "EdDSA", "RS256", "PS256"],
                        audience=audience, issuer=issuer or server.url,
                        options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub",
                                             "jti"]})
