//! Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP, HMAC-SHA-1, 30-second steps,
//! 6 digits): the second factor of a sign-in, as authenticator apps compute it.

use hmac13::{KeyInit, Mac};

type HmacSha1 = hmac13::Hmac<sha1::Sha1>;

/// Seconds per step.
pub const STEP: u64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding (how authenticator apps take secrets).
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buf = 0u64;
    let mut bits = 0u32;
    for &b in bytes {
        buf = (buf << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(B32[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(B32[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Decode base32 (case and spaces ignored, padding allowed); `None` for other characters.
pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let mut buf = 0u64;
    let mut bits = 0u32;
    for c in s.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = B32.iter().position(|&b| b as char == c.to_ascii_uppercase())? as u64;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buf >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The HOTP value of a counter, `digits` long.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    let Ok(mut mac) = <HmacSha1 as KeyInit>::new_from_slice(secret) else { return 0 };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = (h[h.len() - 1] & 0x0f) as usize;
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    bin % 10u32.pow(digits)
}

/// The step a Unix time falls in.
pub fn step_of(unix_seconds: u64) -> u64 {
    unix_seconds / STEP
}

/// The code for a time, as six digits.
pub fn code_at(secret: &[u8], unix_seconds: u64) -> String {
    format!("{:06}", hotp(secret, step_of(unix_seconds), DIGITS))
}

/// Check a code typed at `unix_seconds`, allowing one step of clock drift either way. A step at
/// or before `last_used` is refused (a code works once). Returns the step it matched.
pub fn verify(secret: &[u8], code: &str, unix_seconds: u64, last_used: Option<u64>) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_of(unix_seconds);
    let mut found = None;
    for step in [now.saturating_sub(1), now, now + 1] {
        // Compare every candidate (no early exit on the first match's position).
        if format!("{:06}", hotp(secret, step, DIGITS)) == code && last_used.is_none_or(|l| step > l) {
            found = Some(step);
        }
    }
    found
}

/// The `otpauth://` address an authenticator app reads (as a QR code or pasted).
pub fn otpauth_uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 (8 digits).
    #[test]
    fn rfc6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, want) in [(59u64, 94287082u32), (1111111109, 7081804), (1111111111, 14050471), (1234567890, 89005924), (2000000000, 69279037)] {
            assert_eq!(hotp(secret, step_of(t), 8), want, "t={t}");
        }
        // RFC 4226 appendix D (6 digits).
        assert_eq!(hotp(secret, 0, 6), 755224);
        assert_eq!(hotp(secret, 9, 6), 520489);
    }

    #[test]
    fn base32_round_trips() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("mzxw 6ytb oi======").as_deref(), Some(&b"foobar"[..]));
        assert_eq!(base32_decode("MZ1"), None);
        for n in 0..40 {
            let v: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(base32_decode(&base32_encode(&v)), Some(v));
        }
    }

    #[test]
    fn codes_verify_once_with_one_step_of_drift() {
        let secret = b"12345678901234567890";
        let t = 1_700_000_000;
        let code = code_at(secret, t);
        assert_eq!(verify(secret, &code, t, None), Some(step_of(t)));
        assert_eq!(verify(secret, &code, t + 30, None), Some(step_of(t)), "one step late");
        assert_eq!(verify(secret, &code, t + 90, None), None, "three steps late");
        assert_eq!(verify(secret, &code, t, Some(step_of(t))), None, "used already");
        assert_eq!(verify(secret, "12345", t, None), None);
        assert_eq!(verify(secret, "abcdef", t, None), None);
        assert!(otpauth_uri("pmhc", "j.doe@pd", "MZXW6YTBOI").starts_with("otpauth://totp/pmhc:j.doe%40pd?secret=MZXW6YTBOI"));
    }
}
