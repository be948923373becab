"""A Python shell export that hangs on a slow upstream (sleeps far past the job's Timeout)."""
import time

print("waiting for the upstream export")
time.sleep(900)
print("done")
