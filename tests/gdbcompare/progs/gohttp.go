// SPDX-License-Identifier: GPL-2.0
// A small Go service for compare.py: a loopback HTTP server, a goroutine
// blocked on a channel and one sleeping with a mutex held.
package main

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

var mu sync.Mutex

func worker(c chan int) {
	for v := range c {
		fmt.Println(v)
	}
}

func main() {
	c := make(chan int)
	go worker(c)
	go func() {
		mu.Lock()
		time.Sleep(time.Hour)
	}()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hi") })
	http.ListenAndServe("127.0.0.1:18082", nil)
}
