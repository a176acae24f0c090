# SPDX-License-Identifier: GPL-2.0
# A small Python service for compare.py: threads blocked in a lock, a queue,
# a sleep and a loopback accept().
import queue, socket, sys, threading, time

port = int(sys.argv[1]) if len(sys.argv) > 1 else 18084
lock = threading.Lock()
lock.acquire()
q = queue.Queue()
threading.Thread(target=lambda: lock.acquire(), name="locker", daemon=True).start()
threading.Thread(target=lambda: q.get(), name="queue", daemon=True).start()
threading.Thread(target=lambda: time.sleep(3600), name="sleeper", daemon=True).start()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen()
s.accept()
