/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Known-answer vectors from the JOSE RFCs, byte for byte, for the libtessera tests.
 *
 *   RFC 7515 (JWS) appendix A.1 (HS256), A.2 (RS256), A.3 (ES256)
 *   RFC 8037 (EdDSA in JOSE) appendix A.1, A.2, A.3, A.4 (Ed25519)
 *   RFC 7638 (JWK thumbprint) section 3.1 (RSA)
 *
 * The line breaks the RFCs insert "for display purposes only" are removed; the CRLFs
 * that are part of the A.1/A.2/A.3 header and payload octets are kept (\r\n).
 */
#ifndef TESSERA_TEST_JOSE_RFC_H
#define TESSERA_TEST_JOSE_RFC_H

/* RFC 7515 A.1-A.3: the JWS Payload shared by the first examples. */
#define RFC7515_PAYLOAD \
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}"
#define RFC7515_PAYLOAD_B64 \
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"

/* RFC 7515 A.1: HMAC SHA-256. The key is RFC 7517 appendix A.3's first oct key. */
#define RFC7515_A1_HEADER "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}"
#define RFC7515_A1_JWK \
    "{\"kty\":\"oct\"," \
    "\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}"
#define RFC7515_A1_JWS \
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9" \
    "." RFC7515_PAYLOAD_B64 \
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

/* RFC 7515 A.2: RSASSA-PKCS1-v1_5 SHA-256 (deterministic, so reproduced exactly). */
#define RFC7515_A2_HEADER "{\"alg\":\"RS256\"}"
#define RFC7515_A2_N \
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
#define RFC7515_A2_PUBLIC_JWK \
    "{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"}"
#define RFC7515_A2_PRIVATE_JWK \
    "{\"kty\":\"RSA\",\"n\":\"" RFC7515_A2_N "\",\"e\":\"AQAB\"," \
    "\"d\":\"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ\"," \
    "\"p\":\"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc\"," \
    "\"q\":\"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc\"," \
    "\"dp\":\"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0\"," \
    "\"dq\":\"h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU\"," \
    "\"qi\":\"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U\"}"
#define RFC7515_A2_JWS \
    "eyJhbGciOiJSUzI1NiJ9" \
    "." RFC7515_PAYLOAD_B64 \
    ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"

/* RFC 7515 A.3: ECDSA P-256 SHA-256 (randomised: the given signature is verified). */
#define RFC7515_A3_HEADER "{\"alg\":\"ES256\"}"
#define RFC7515_A3_X "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define RFC7515_A3_Y "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
#define RFC7515_A3_D "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"
#define RFC7515_A3_PUBLIC_JWK \
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y "\"}"
#define RFC7515_A3_PRIVATE_JWK \
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC7515_A3_X "\",\"y\":\"" RFC7515_A3_Y \
    "\",\"d\":\"" RFC7515_A3_D "\"}"
#define RFC7515_A3_JWS \
    "eyJhbGciOiJFUzI1NiJ9" \
    "." RFC7515_PAYLOAD_B64 \
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
/* The RFC's signature has s above n/2, which libtessera refuses (low s: one encoding
 * per token); this is the same signature with s replaced by n - s, valid and low. */
#define RFC7515_A3_JWS_LOW_S \
    "eyJhbGciOiJFUzI1NiJ9" \
    "." RFC7515_PAYLOAD_B64 \
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmU69fgrc8OPGycO0lD3tat_FoFp57SETepkeks4eL_QfA"

/* RFC 8037 A.1/A.2: an Ed25519 key; A.3: its thumbprint; A.4: a JWS of
 * "Example of Ed25519 signing" (deterministic, so reproduced exactly). */
#define RFC8037_X "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
#define RFC8037_D "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
#define RFC8037_PRIVATE_JWK \
    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"d\":\"" RFC8037_D "\",\"x\":\"" RFC8037_X "\"}"
#define RFC8037_PUBLIC_JWK "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\"}"
#define RFC8037_THUMBPRINT "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
#define RFC8037_HEADER "{\"alg\":\"EdDSA\"}"
#define RFC8037_PAYLOAD "Example of Ed25519 signing"
#define RFC8037_JWS \
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc" \
    ".hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"

/* RFC 7638 3.1: the RSA key of RFC 7517 appendix A.1 and its SHA-256 thumbprint. */
#define RFC7638_JWK \
    "{\"kty\":\"RSA\"," \
    "\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\"," \
    "\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}"
#define RFC7638_THUMBPRINT "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

#endif /* TESSERA_TEST_JOSE_RFC_H */
