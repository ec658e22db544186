//! The user data nft attaches to tables, chains and rules (libnftnl's udata): a run of TLVs, each a type
//! byte, a length byte and the value. The comment is type 0 (NFTNL_UDATA_{TABLE,CHAIN,RULE}_COMMENT) and
//! carries its terminating NUL, which is how `nft list ruleset` finds and prints it.

use crate::error::{Error, Result};

const UDATA_COMMENT: u8 = 0;
/// The value length is one byte and includes the NUL.
pub const COMMENT_MAX_BYTES: usize = 254;

/// The user data holding just `comment`.
pub fn comment(comment: &str) -> Result<Vec<u8>> {
    if comment.len() > COMMENT_MAX_BYTES {
        return Err(Error::invalid(format!("comment is {} bytes, at most {} fit", comment.len(), COMMENT_MAX_BYTES)));
    }
    if comment.as_bytes().contains(&0) {
        return Err(Error::invalid("comment contains a NUL byte"));
    }
    let mut out = Vec::with_capacity(comment.len() + 3);
    out.push(UDATA_COMMENT);
    out.push((comment.len() + 1) as u8);
    out.extend_from_slice(comment.as_bytes());
    out.push(0);
    Ok(out)
}

/// The comment in user data, if there is one (other TLVs are skipped).
pub fn parse_comment(udata: &[u8]) -> Option<String> {
    let mut rest = udata;
    while rest.len() >= 2 {
        let (kind, len) = (rest[0], rest[1] as usize);
        let value = rest.get(2..2 + len)?;
        if kind == UDATA_COMMENT {
            let end = value.iter().position(|&b| b == 0).unwrap_or(value.len());
            return Some(String::from_utf8_lossy(&value[..end]).into_owned());
        }
        rest = &rest[2 + len..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_round_trip_as_nft_writes_it() {
        // nft --debug=netlink: userdata = { \x00\x02x\x00 }
        assert_eq!(comment("x").unwrap(), vec![0, 2, b'x', 0]);
        assert_eq!(parse_comment(&[0, 2, b'x', 0]).as_deref(), Some("x"));
        // another TLV first is skipped
        assert_eq!(parse_comment(&[7, 1, 9, 0, 3, b'h', b'i', 0]).as_deref(), Some("hi"));
        assert_eq!(parse_comment(&[7, 1, 9]), None);
        assert_eq!(parse_comment(&[0, 9, b'x']), None); // truncated
    }

    #[test]
    fn too_long_or_nul_comments_are_rejected() {
        assert!(comment(&"a".repeat(COMMENT_MAX_BYTES)).is_ok());
        assert_eq!(comment(&"a".repeat(COMMENT_MAX_BYTES + 1)).unwrap_err().errno, crate::sys::EINVAL);
        assert!(comment("a\0b").is_err());
    }
}
