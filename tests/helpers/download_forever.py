"""Run Hearth's download queue in its own process until it is killed (the kill -9 test)."""
import sys
import time
from pathlib import Path

from app.core.download_queue import DownloadQueue
from app.core.hub import HubClient

endpoint, root, repo_id, name = sys.argv[1:5]
client = HubClient(endpoint)
listing = client.list_files(repo_id)
queue = DownloadQueue(client, Path(root) / "models", Path(root) / "downloads")
queue.add(repo_id, listing.revision, "Q4_1", [f for f in listing.files if f.name == name])
queue.start()
while True:
    time.sleep(1)
