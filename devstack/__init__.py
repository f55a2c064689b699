"""Local development stack: the pieces that stand in for AWS-managed plumbing."""
