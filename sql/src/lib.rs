//! tabvault-sql: the StarRocks-dialect SQL layer (being built).
