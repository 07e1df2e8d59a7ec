"""SM2 signatures (GB/T 32918) over the system's OpenSSL 3 libcrypto, through ctypes.

Why this shape:

- ``cryptography`` has SM3 and SM4 but no SM2, and the OpenSSL it carries is linked statically
  into its ``_rust.abi3.so`` with no exported C API, so it cannot be reused. The system's
  ``libcrypto.so.3`` (Debian's ``libssl3``, found with ``ctypes.util.find_library("crypto")``)
  has SM2 in its default provider: constant-time C with a CSPRNG for the nonce ``k``.
- ctypes rather than cffi: ctypes is in the standard library, so the binding adds no runtime
  dependency and nothing to compile; ABI-mode cffi would also work but brings nothing ctypes lacks
  for ~40 prototypes of opaque pointers and ints. Each signature costs a few hundred microseconds
  of elliptic-curve arithmetic, against about a microsecond of ctypes overhead per call, so the
  binding runs close to OpenSSL's own ``openssl speed sm2`` (measured in ``bench/sm2_speed.py``).
  ctypes releases the GIL during every foreign call, so threads sign in parallel.
- Pure-Python SM2 (gmssl) runs at tens of operations per second and draws ``k`` from ``random``;
  it is used only in the tests, as the independent implementation to check against.

The signer ID: OpenSSL 3 hashes an *empty* ID into Z_A unless one is set on the key context, and
then its signatures verify nowhere else. Every operation here sets ``user_id`` (by default
``DEFAULT_ID``, "1234567812345678") with ``EVP_PKEY_CTX_set1_id`` on its own context.

Threads and memory: an ``EVP_PKEY`` is only read after it is built, which OpenSSL allows from many
threads at once; every sign or verify creates and frees its own ``EVP_MD_CTX`` (which owns its
``EVP_PKEY_CTX``), so no context is ever shared. Every object from libcrypto is freed in a
``finally`` block, errors included; keys are freed when their Python object is collected. Errors
from libcrypto become :class:`SM2Error` with the text of OpenSSL's error queue, which is emptied.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import weakref
from collections.abc import Callable
from typing import Any, Final, Self

from healthcard.core.crypto import sm3, sm3_hex

DEFAULT_ID: Final = b"1234567812345678"

# The recommended curve of GB/T 32918.5 (OpenSSL's "SM2" group).
P: Final = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A: Final = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
B: Final = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N: Final = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
GX: Final = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
GY: Final = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0

_MAX_ID_BYTES: Final = 8190  # ENTL is the length in bits in 2 bytes; OpenSSL refuses 8191
_PEM_CIPHER: Final = b"AES-256-CBC"  # PKCS#8 PBES2 (PBKDF2-HMAC-SHA256), readable by any tool
_BIO_CTRL_INFO: Final = 3  # BIO_get_mem_data(b, pp) is BIO_ctrl(b, BIO_CTRL_INFO, 0, pp)

_vp = ctypes.c_void_p
_PasswordCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_char), ctypes.c_int, ctypes.c_int, ctypes.c_void_p
)


class SM2Error(ValueError):
    """libcrypto refused an SM2 operation or its input; the message carries OpenSSL's errors."""


_PROTOTYPES: Final[dict[str, tuple[Any, list[Any]]]] = {
    "OpenSSL_version_num": (ctypes.c_ulong, []),
    "ERR_get_error": (ctypes.c_ulong, []),
    "ERR_error_string_n": (None, [ctypes.c_ulong, ctypes.c_char_p, ctypes.c_size_t]),
    "ERR_clear_error": (None, []),
    "BN_bin2bn": (_vp, [ctypes.c_char_p, ctypes.c_int, _vp]),
    "BN_bn2binpad": (ctypes.c_int, [_vp, ctypes.c_char_p, ctypes.c_int]),
    "BN_clear_free": (None, [_vp]),
    "BIO_new": (_vp, [_vp]),
    "BIO_s_mem": (_vp, []),
    "BIO_new_mem_buf": (_vp, [ctypes.c_char_p, ctypes.c_int]),
    "BIO_ctrl": (ctypes.c_long, [_vp, ctypes.c_int, ctypes.c_long, _vp]),
    "BIO_free": (ctypes.c_int, [_vp]),
    "EC_GROUP_new_by_curve_name": (_vp, [ctypes.c_int]),
    "EC_GROUP_free": (None, [_vp]),
    "EC_POINT_new": (_vp, [_vp]),
    "EC_POINT_free": (None, [_vp]),
    "EC_POINT_mul": (ctypes.c_int, [_vp, _vp, _vp, _vp, _vp, _vp]),
    "EC_POINT_point2oct": (
        ctypes.c_size_t,
        [_vp, _vp, ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, _vp],
    ),
    "OSSL_PARAM_BLD_new": (_vp, []),
    "OSSL_PARAM_BLD_free": (None, [_vp]),
    "OSSL_PARAM_BLD_push_utf8_string": (
        ctypes.c_int,
        [_vp, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t],
    ),
    "OSSL_PARAM_BLD_push_BN": (ctypes.c_int, [_vp, ctypes.c_char_p, _vp]),
    "OSSL_PARAM_BLD_push_octet_string": (
        ctypes.c_int,
        [_vp, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t],
    ),
    "OSSL_PARAM_BLD_to_param": (_vp, [_vp]),
    "OSSL_PARAM_free": (None, [_vp]),
    "EVP_MD_fetch": (_vp, [_vp, ctypes.c_char_p, ctypes.c_char_p]),
    "EVP_CIPHER_fetch": (_vp, [_vp, ctypes.c_char_p, ctypes.c_char_p]),
    "EVP_CIPHER_free": (None, [_vp]),
    "EVP_PKEY_CTX_new_from_name": (_vp, [_vp, ctypes.c_char_p, ctypes.c_char_p]),
    "EVP_PKEY_CTX_free": (None, [_vp]),
    "EVP_PKEY_CTX_set1_id": (ctypes.c_int, [_vp, ctypes.c_char_p, ctypes.c_int]),
    "EVP_PKEY_keygen_init": (ctypes.c_int, [_vp]),
    "EVP_PKEY_generate": (ctypes.c_int, [_vp, ctypes.POINTER(_vp)]),
    "EVP_PKEY_fromdata_init": (ctypes.c_int, [_vp]),
    "EVP_PKEY_fromdata": (ctypes.c_int, [_vp, ctypes.POINTER(_vp), ctypes.c_int, _vp]),
    "EVP_PKEY_free": (None, [_vp]),
    "EVP_PKEY_is_a": (ctypes.c_int, [_vp, ctypes.c_char_p]),
    "EVP_PKEY_get_bn_param": (ctypes.c_int, [_vp, ctypes.c_char_p, ctypes.POINTER(_vp)]),
    "EVP_PKEY_get_utf8_string_param": (
        ctypes.c_int,
        [_vp, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t, _vp],
    ),
    "EVP_MD_CTX_new": (_vp, []),
    "EVP_MD_CTX_free": (None, [_vp]),
    "EVP_DigestSignInit": (ctypes.c_int, [_vp, ctypes.POINTER(_vp), _vp, _vp, _vp]),
    "EVP_DigestSign": (
        ctypes.c_int,
        [_vp, ctypes.c_char_p, ctypes.POINTER(ctypes.c_size_t), ctypes.c_char_p, ctypes.c_size_t],
    ),
    "EVP_DigestVerifyInit": (ctypes.c_int, [_vp, ctypes.POINTER(_vp), _vp, _vp, _vp]),
    "EVP_DigestVerify": (
        ctypes.c_int,
        [_vp, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t],
    ),
    "PEM_read_bio_PrivateKey": (_vp, [_vp, _vp, _PasswordCallback, _vp]),
    "PEM_read_bio_PUBKEY": (_vp, [_vp, _vp, _vp, _vp]),
    "PEM_write_bio_PKCS8PrivateKey": (
        ctypes.c_int,
        [_vp, _vp, _vp, ctypes.c_char_p, ctypes.c_int, _vp, _vp],
    ),
    "PEM_write_bio_PUBKEY": (ctypes.c_int, [_vp, _vp]),
}

_NID_SM2: Final = 1172
_POINT_UNCOMPRESSED: Final = 4
_EVP_PKEY_PUBLIC_KEY: Final = 0x86  # selections of EVP_PKEY_fromdata (openssl/evp.h)
_EVP_PKEY_KEYPAIR: Final = 0x87


def _load_libcrypto() -> ctypes.CDLL:
    """The system's OpenSSL 3 libcrypto with the prototypes this module uses."""
    candidates = [ctypes.util.find_library("crypto"), "libcrypto.so.3"]
    problems = []
    for name in dict.fromkeys(c for c in candidates if c):
        try:
            lib = ctypes.CDLL(name)
        except OSError as exc:
            problems.append(f"{name}: {exc}")
            continue
        lib.OpenSSL_version_num.restype = ctypes.c_ulong
        if lib.OpenSSL_version_num() >= 0x30000000:
            for function, (restype, argtypes) in _PROTOTYPES.items():
                getattr(lib, function).restype = restype
                getattr(lib, function).argtypes = argtypes
            return lib
        problems.append(f"{name}: OpenSSL {lib.OpenSSL_version_num():#x} is older than 3.0")
    raise ImportError("SM2 needs OpenSSL 3 libcrypto (Debian: libssl3): " + "; ".join(problems))


_lib: Final = _load_libcrypto()


def _error(what: str) -> SM2Error:
    """An SM2Error for ``what`` with OpenSSL's queued errors, emptying the queue."""
    reasons = []
    buffer = ctypes.create_string_buffer(256)
    while code := _lib.ERR_get_error():
        _lib.ERR_error_string_n(code, buffer, len(buffer))
        reasons.append(buffer.value.decode(errors="replace"))
    return SM2Error(f"{what}: {'; '.join(reasons) or 'no reason given by OpenSSL'}")


def _check(result: int, what: str) -> None:
    """Raise :class:`SM2Error` unless a libcrypto call returned 1."""
    if result != 1:
        raise _error(what)


def _fetch_sm3() -> int:
    """SM3 fetched once from the default provider; an EVP_MD is immutable and shared."""
    md = _lib.EVP_MD_fetch(None, b"SM3", None)
    if not md:
        raise _error("SM3 is not available in this libcrypto")
    return int(md)


_SM3: Final = _fetch_sm3()


class _PKey:
    """Owns one ``EVP_PKEY*`` and frees it when collected."""

    __slots__ = ("__weakref__", "ptr")

    def __init__(self, ptr: int | None, what: str) -> None:
        if not ptr:
            raise _error(what)
        self.ptr = ptr
        weakref.finalize(self, _lib.EVP_PKEY_free, ptr).atexit = False
        if _lib.EVP_PKEY_is_a(ptr, b"SM2") != 1 or _group_name(ptr) != "SM2":
            raise SM2Error(f"{what}: the key is not on the SM2 curve")


def _group_name(pkey: int) -> str:
    """The curve of an EC-family key ("SM2" for ours), or "" for other keys."""
    name = ctypes.create_string_buffer(64)
    if _lib.EVP_PKEY_get_utf8_string_param(pkey, b"group", name, len(name), None) != 1:
        _lib.ERR_clear_error()
        return ""
    return name.value.decode()


def _bn_param(pkey: int, name: bytes) -> bytes:
    """A BIGNUM parameter of a key as 32 big-endian bytes."""
    bn = _vp()
    _check(_lib.EVP_PKEY_get_bn_param(pkey, name, ctypes.byref(bn)), f"reading {name!r}")
    try:
        out = ctypes.create_string_buffer(32)
        if _lib.BN_bn2binpad(bn, out, 32) != 32:
            raise _error(f"{name!r} does not fit in 32 bytes")
        return out.raw
    finally:
        _lib.BN_clear_free(bn)


def _from_params(selection: int, *, private: bytes | None, public: bytes) -> _PKey:
    """Build an SM2 EVP_PKEY from a public point and, optionally, the private scalar."""
    bld = _lib.OSSL_PARAM_BLD_new()
    bn = params = ctx = None
    try:
        if not bld:
            raise _error("OSSL_PARAM_BLD_new")
        _check(_lib.OSSL_PARAM_BLD_push_utf8_string(bld, b"group", b"SM2", 0), "group")
        _check(_lib.OSSL_PARAM_BLD_push_octet_string(bld, b"pub", public, len(public)), "pub")
        if private is not None:
            bn = _lib.BN_bin2bn(private, len(private), None)
            _check(_lib.OSSL_PARAM_BLD_push_BN(bld, b"priv", bn) if bn else 0, "priv")
        params = _lib.OSSL_PARAM_BLD_to_param(bld)
        ctx = _lib.EVP_PKEY_CTX_new_from_name(None, b"SM2", None)
        if not params or not ctx:
            raise _error("allocating key parameters")
        _check(_lib.EVP_PKEY_fromdata_init(ctx), "EVP_PKEY_fromdata_init")
        pkey = _vp()
        _check(_lib.EVP_PKEY_fromdata(ctx, ctypes.byref(pkey), selection, params), "SM2 key")
        return _PKey(pkey.value, "SM2 key")
    finally:
        _lib.EVP_PKEY_CTX_free(ctx)
        _lib.OSSL_PARAM_free(params)
        _lib.BN_clear_free(bn)
        _lib.OSSL_PARAM_BLD_free(bld)


def _public_point(private: bytes) -> bytes:
    """d·G as 04||x||y, computed by libcrypto."""
    group = _lib.EC_GROUP_new_by_curve_name(_NID_SM2)
    point = _lib.EC_POINT_new(group) if group else None
    bn = _lib.BN_bin2bn(private, len(private), None)
    try:
        out = ctypes.create_string_buffer(65)
        if not point or not bn or _lib.EC_POINT_mul(group, point, bn, None, None, None) != 1:
            raise _error("computing the public key")
        if _lib.EC_POINT_point2oct(group, point, _POINT_UNCOMPRESSED, out, 65, None) != 65:
            raise _error("encoding the public key")
        return out.raw
    finally:
        _lib.BN_clear_free(bn)
        _lib.EC_POINT_free(point)
        _lib.EC_GROUP_free(group)


def _bio_bytes(write: Callable[[int], int], what: str) -> bytes:
    """Run ``write`` into a memory BIO and return what it wrote."""
    bio = _lib.BIO_new(_lib.BIO_s_mem())
    if not bio:
        raise _error("BIO_new")
    try:
        _check(write(bio), what)
        data = ctypes.c_char_p()
        size = _lib.BIO_ctrl(bio, _BIO_CTRL_INFO, 0, ctypes.byref(data))
        return ctypes.string_at(data, size)
    finally:
        _lib.BIO_free(bio)


def _read_pem(pem: bytes, read: Callable[[int], int | None]) -> int | None:
    """Run ``read`` on a read-only memory BIO over ``pem``."""
    _lib.ERR_clear_error()
    bio = _lib.BIO_new_mem_buf(pem, len(pem))
    if not bio:
        raise _error("BIO_new_mem_buf")
    try:
        return read(bio)
    finally:
        _lib.BIO_free(bio)


def _check_id(user_id: bytes) -> None:
    if len(user_id) > _MAX_ID_BYTES:
        raise ValueError(f"an SM2 user ID has at most {_MAX_ID_BYTES} bytes")


def _der_signature(r: int, s: int) -> bytes:
    """DER ``SEQUENCE { INTEGER r, INTEGER s }``."""
    body = _der_integer(r) + _der_integer(s)
    return b"\x30" + _der_length(len(body)) + body


def _der_integer(value: int) -> bytes:
    content = value.to_bytes(value.bit_length() // 8 + 1, "big")  # leading 0 keeps it positive
    return b"\x02" + _der_length(len(content)) + content


def _der_length(length: int) -> bytes:
    return bytes([length]) if length < 0x80 else bytes([0x81, length])


def _raw_signature(der: bytes) -> bytes:
    """r||s (32 bytes each) from OpenSSL's DER signature."""
    values = []
    offset = 3 if der[1] == 0x81 else 2
    for _ in range(2):
        length = der[offset + 1]
        values.append(int.from_bytes(der[offset + 2 : offset + 2 + length], "big"))
        offset += 2 + length
    return b"".join(v.to_bytes(32, "big") for v in values)


class SM2PublicKey:
    """An SM2 public key on the GB/T 32918.5 curve; verifies signatures."""

    __slots__ = ("_key",)

    def __init__(self, key: _PKey) -> None:
        self._key = key

    @classmethod
    def from_uncompressed(cls, point: bytes) -> Self:
        """Import 04||x||y (65 bytes) or x||y (64 bytes); refuses points off the curve."""
        if len(point) == 64:
            point = b"\x04" + point
        if len(point) != 65 or point[0] != 4:
            raise ValueError("an SM2 public key is 04||x||y (65 bytes) or x||y (64 bytes)")
        return cls(_from_params(_EVP_PKEY_PUBLIC_KEY, private=None, public=bytes(point)))

    @classmethod
    def from_pem(cls, pem: bytes) -> Self:
        """Load a ``PUBLIC KEY`` (SubjectPublicKeyInfo) PEM."""
        ptr = _read_pem(pem, lambda bio: _lib.PEM_read_bio_PUBKEY(bio, None, None, None))
        return cls(_PKey(ptr, "reading the public key PEM"))

    def to_pem(self) -> bytes:
        """Export as a ``PUBLIC KEY`` (SubjectPublicKeyInfo) PEM."""
        return _bio_bytes(lambda bio: _lib.PEM_write_bio_PUBKEY(bio, self._key.ptr), "PEM")

    def to_uncompressed(self) -> bytes:
        """The point as 04||x||y (65 bytes)."""
        return b"\x04" + _bn_param(self._key.ptr, b"qx") + _bn_param(self._key.ptr, b"qy")

    def fingerprint(self) -> str:
        """SM3 (hex) of the uncompressed point."""
        return sm3_hex(self.to_uncompressed())

    def verify(self, signature: bytes, message: bytes, *, user_id: bytes = DEFAULT_ID) -> bool:
        """True if ``signature`` (r||s or DER) signs ``message`` for ``user_id``; never raises."""
        _check_id(user_id)
        if len(signature) == 64:
            signature = _der_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            )
        elif not 8 <= len(signature) <= 72:
            return False
        mdctx = _lib.EVP_MD_CTX_new()
        try:
            _init(_lib.EVP_DigestVerifyInit, mdctx, self._key.ptr, user_id)
            sig, msg = bytes(signature), bytes(message)
            if _lib.EVP_DigestVerify(mdctx, sig, len(sig), msg, len(msg)) == 1:
                return True
            _lib.ERR_clear_error()  # a bad signature is an answer, not an error
            return False
        finally:
            _lib.EVP_MD_CTX_free(mdctx)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SM2PublicKey):
            return NotImplemented
        return self.to_uncompressed() == other.to_uncompressed()

    def __hash__(self) -> int:
        return hash(self.to_uncompressed())

    def __repr__(self) -> str:
        return f"SM2PublicKey(fingerprint={self.fingerprint()[:16]}…)"


def _init(init: Any, mdctx: int | None, pkey: int, user_id: bytes) -> None:
    """Start a sign or verify on ``mdctx`` with SM3 and the signer ID set."""
    if not mdctx:
        raise _error("EVP_MD_CTX_new")
    pctx = _vp()  # owned by mdctx, freed with it
    _check(init(mdctx, ctypes.byref(pctx), _SM3, None, pkey), "starting an SM2 operation")
    _check(_lib.EVP_PKEY_CTX_set1_id(pctx, user_id, len(user_id)), "setting the SM2 user ID")


class SM2PrivateKey:
    """An SM2 private key; signs with OpenSSL's CSPRNG nonce. Safe to share between threads."""

    __slots__ = ("_key", "_public")

    def __init__(self, key: _PKey) -> None:
        self._key = key
        self._public: SM2PublicKey | None = None

    @classmethod
    def generate(cls) -> Self:
        """A new key from OpenSSL's CSPRNG."""
        ctx = _lib.EVP_PKEY_CTX_new_from_name(None, b"SM2", None)
        try:
            if not ctx:
                raise _error("EVP_PKEY_CTX_new_from_name(SM2)")
            _check(_lib.EVP_PKEY_keygen_init(ctx), "EVP_PKEY_keygen_init")
            pkey = _vp()
            _check(_lib.EVP_PKEY_generate(ctx, ctypes.byref(pkey)), "generating an SM2 key")
            return cls(_PKey(pkey.value, "generating an SM2 key"))
        finally:
            _lib.EVP_PKEY_CTX_free(ctx)

    @classmethod
    def from_private_value(cls, value: int | bytes) -> Self:
        """The key with private scalar ``value`` (an int or 32 big-endian bytes), 1 ≤ d ≤ n−2."""
        if isinstance(value, bytes):
            if len(value) != 32:
                raise ValueError("an SM2 private value is 32 bytes")
            value = int.from_bytes(value, "big")
        if not 1 <= value <= N - 2:
            raise ValueError("an SM2 private value is in [1, n-2]")
        private = value.to_bytes(32, "big")
        key = _from_params(_EVP_PKEY_KEYPAIR, private=private, public=_public_point(private))
        return cls(key)

    @classmethod
    def from_pem(cls, pem: bytes, password: bytes | None = None) -> Self:
        """Load a PKCS#8 (or SEC1) PEM, decrypting it with ``password`` if it is encrypted."""
        asked = []

        def give_password(buf: Any, size: int, _rwflag: int, _u: Any) -> int:
            asked.append(True)
            if password is None or len(password) > size:
                return -1  # never fall back to prompting on a terminal
            ctypes.memmove(buf, password, len(password))
            return len(password)

        callback = _PasswordCallback(give_password)
        ptr = _read_pem(pem, lambda bio: _lib.PEM_read_bio_PrivateKey(bio, None, callback, None))
        if not ptr and asked:
            needed = "it is encrypted: give its password" if password is None else "wrong password?"
            raise _error(f"reading the private key PEM ({needed})")
        key = cls(_PKey(ptr, "reading the private key PEM"))
        if password is not None and not asked:
            raise ValueError("a password was given but the private key PEM is not encrypted")
        return key

    def to_pem(self, password: bytes | None = None) -> bytes:
        """Export as PKCS#8 PEM; encrypted (PBES2, AES-256-CBC) when a password is given."""
        if password is None:
            return _bio_bytes(
                lambda bio: _lib.PEM_write_bio_PKCS8PrivateKey(
                    bio, self._key.ptr, None, None, 0, None, None
                ),
                "writing the private key PEM",
            )
        if not password:
            raise ValueError("an empty password would not protect the key")
        cipher = _lib.EVP_CIPHER_fetch(None, _PEM_CIPHER, None)
        try:
            if not cipher:
                raise _error("EVP_CIPHER_fetch")
            return _bio_bytes(
                lambda bio: _lib.PEM_write_bio_PKCS8PrivateKey(
                    bio, self._key.ptr, cipher, password, len(password), None, None
                ),
                "writing the encrypted private key PEM",
            )
        finally:
            _lib.EVP_CIPHER_free(cipher)

    def private_value(self) -> bytes:
        """The private scalar d as 32 big-endian bytes."""
        return _bn_param(self._key.ptr, b"priv")

    def public_key(self) -> SM2PublicKey:
        """The matching public key."""
        if self._public is None:
            qx, qy = _bn_param(self._key.ptr, b"qx"), _bn_param(self._key.ptr, b"qy")
            self._public = SM2PublicKey.from_uncompressed(b"\x04" + qx + qy)
        return self._public

    def sign_der(self, message: bytes, *, user_id: bytes = DEFAULT_ID) -> bytes:
        """Sign ``message`` (SM3 with Z_A of ``user_id``); DER ``SEQUENCE {r, s}``."""
        _check_id(user_id)
        mdctx = _lib.EVP_MD_CTX_new()
        try:
            _init(_lib.EVP_DigestSignInit, mdctx, self._key.ptr, user_id)
            msg = bytes(message)
            out = ctypes.create_string_buffer(80)
            size = ctypes.c_size_t(len(out))
            _check(_lib.EVP_DigestSign(mdctx, out, ctypes.byref(size), msg, len(msg)), "SM2 sign")
            return out.raw[: size.value]
        finally:
            _lib.EVP_MD_CTX_free(mdctx)

    def sign(self, message: bytes, *, user_id: bytes = DEFAULT_ID) -> bytes:
        """Sign ``message``; the signature as r||s, 64 bytes."""
        return _raw_signature(self.sign_der(message, user_id=user_id))


def z_value(public_key: SM2PublicKey, user_id: bytes = DEFAULT_ID) -> bytes:
    """Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA) per GB/T 32918.2."""
    _check_id(user_id)
    curve = b"".join(v.to_bytes(32, "big") for v in (A, B, GX, GY))
    entl = (len(user_id) * 8).to_bytes(2, "big")
    return sm3(entl + user_id + curve + public_key.to_uncompressed()[1:])


def e_value(public_key: SM2PublicKey, message: bytes, user_id: bytes = DEFAULT_ID) -> bytes:
    """e = SM3(Z_A || M), the digest an SM2 signature signs (GB/T 32918.2, step A2)."""
    return sm3(z_value(public_key, user_id) + message)
