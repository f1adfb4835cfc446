"""Message rendering, SNS publishing and the delivery log."""
