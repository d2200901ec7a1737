"""Generated from proto/gitaly by ``make proto``. Do not edit."""
