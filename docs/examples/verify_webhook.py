import hashlib, hmac, time

def verify(secret: bytes, header: str, body: bytes, tolerance_s: int = 300) -> bool:
    """True when X-Slattest-Signature (header) signs this exact body with secret."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    signed = fields["t"].encode() + b"." + body
    expected = hmac.new(secret, signed, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(fields["t"])) <= tolerance_s
    return fresh and hmac.compare_digest(expected, fields["v1"])
