package email

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/bridge"
)

// BenchmarkIngest: emails per second from the IMAP fake through parsing,
// Deliver (SQLite commit) and \Seen.
func BenchmarkIngest(b *testing.B) {
	r := newRig(b, rigOptions{})
	for i := 0; i < b.N; i++ {
		if _, err := r.imap.Append("", []byte(customerMail(fmt.Sprintf("c%d@example.net", i), fmt.Sprintf("<b%d@example.net>", i), "Bench", "Hello there"))); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	r.start()
	adaptertest.Eventually(b, time.Minute, func() bool { return len(r.customerPosts()) >= b.N }, "all delivered")
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "emails/s")
}

// BenchmarkSend: replies per second composed and submitted over SMTP.
func BenchmarkSend(b *testing.B) {
	r := newRig(b, rigOptions{})
	d := bridge.Delivery{Conversation: 1, Message: 1, Address: "dana@customer.example", Subject: "Order", Text: "Thanks, **shipped**.",
		References: []string{"<c1@customer.example>"}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.ad.Send(context.Background(), d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "emails/s")
}
