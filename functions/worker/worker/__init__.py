"""The worker Lambda: executes run messages from the SQS FIFO queue."""
