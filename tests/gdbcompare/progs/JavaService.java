// SPDX-License-Identifier: GPL-2.0
// A small Java service for compare.py, run from source (java JavaService.java PORT):
// a com.sun.net.httpserver on 127.0.0.1 with a two-thread executor, a thread
// blocked on a lock, one on a queue and one in a sleep, beside the JVM's own
// threads (GC, JIT compilers, signal dispatcher, ...).
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.ReentrantLock;

public class JavaService {
	public static void main(String[] args) throws Exception {
		int port = args.length > 0 ? Integer.parseInt(args[0]) : 18213;
		HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 16);
		s.createContext("/", ex -> {
			byte[] b = "hi\n".getBytes(StandardCharsets.UTF_8);
			ex.sendResponseHeaders(200, b.length);
			ex.getResponseBody().write(b);
			ex.close();
		});
		s.setExecutor(Executors.newFixedThreadPool(2));
		s.start();
		ReentrantLock lock = new ReentrantLock();
		lock.lock();
		LinkedBlockingQueue<Integer> q = new LinkedBlockingQueue<>();
		Thread t1 = new Thread(lock::lock, "locker");
		Thread t2 = new Thread(() -> {
			try {
				q.take();
			} catch (InterruptedException e) {
			}
		}, "queue");
		Thread t3 = new Thread(() -> {
			try {
				Thread.sleep(3600_000);
			} catch (InterruptedException e) {
			}
		}, "sleeper");
		for (Thread t : new Thread[] {t1, t2, t3}) {
			t.setDaemon(true);
			t.start();
		}
		Thread.currentThread().join();
	}
}
