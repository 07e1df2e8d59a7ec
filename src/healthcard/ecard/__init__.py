"""Electronic health cards (电子健康卡): SM2-signed QR codes, issuer keys, verification."""
