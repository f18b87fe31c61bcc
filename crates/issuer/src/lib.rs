//! Placeholder: the issuer worker lands here (see README).
