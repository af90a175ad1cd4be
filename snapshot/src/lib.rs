//! tabvault-snapshot: snapshots, repositories and BACKUP/RESTORE jobs (being built).
