"""Customer files (客户档案): registration, updates, masked numbers and the audited reveal."""
