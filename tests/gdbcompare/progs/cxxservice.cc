// SPDX-License-Identifier: GPL-2.0
// A small C++ service for compare.py: std::thread workers on a
// condition_variable, a std::mutex holder, a future and a poll() loop.
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <poll.h>
#include <queue>
#include <thread>
#include <vector>
#include <unistd.h>

namespace svc {
class Queue {
      public:
	int pop()
	{
		std::unique_lock<std::mutex> l(m_);
		cv_.wait(l, [this] { return !q_.empty(); });
		int v = q_.front();
		q_.pop();
		return v;
	}

      private:
	std::mutex m_;
	std::condition_variable cv_;
	std::queue<int> q_;
};

template <typename T> struct Holder {
	T value;
	void hold(std::mutex &m)
	{
		std::lock_guard<std::mutex> g(m);
		std::this_thread::sleep_for(std::chrono::hours(1));
	}
};
} // namespace svc

static std::mutex big;

int main()
{
	svc::Queue q;
	std::vector<std::thread> ts;
	for (int i = 0; i < 2; i++)
		ts.emplace_back([&q] {
			for (;;)
				if (q.pop() < 0)
					return;
		});
	svc::Holder<long> h{ 0 };
	ts.emplace_back([&h] { h.hold(big); });
	std::this_thread::sleep_for(std::chrono::milliseconds(100));
	ts.emplace_back([] { std::lock_guard<std::mutex> g(big); });
	std::promise<int> pr;
	auto fut = std::async(std::launch::async, [&pr] { return pr.get_future().get(); });
	int fds[2];
	if (pipe(fds))
		return 1;
	struct pollfd p = { fds[0], POLLIN, 0 };
	poll(&p, 1, -1);
	return 0;
}
