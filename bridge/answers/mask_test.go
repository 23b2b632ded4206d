package answers

import (
	"slices"
	"testing"
)

func TestMaskHidesAnotherCustomersDetails(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Hi Maria, your refund for order #48213 is on its way.", "Hi [name], your refund for order [order id] is on its way."},
		{"I sent it to maria.lopez@example.com and +49 30 1234 5678.", "I sent it to [email] and [phone]."},
		{"Order LM-77120 is cancelled; invoice no. INV-2024-0042 follows.", "Order [order id] is cancelled; invoice no. [order id] follows."},
		{"Tracking 1Z999AA10123456784 shows it in Leeds.", "Tracking [order id] shows it in Leeds."},
		{"Reset it here: https://app.example.com/reset?token=abc123 or see https://help.example.com/refunds.",
			"Reset it here: https://app.example.com/reset?[link id] or see https://help.example.com/refunds."},
		{"Your orders page: https://shop.example.com/orders/5531207/detail", "Your orders page: https://shop.example.com/orders/[link id]/detail"},
		{"Dear Mr. Smith,\nthanks. Best, Ahmed", "Dear [name],\nthanks. Best, Ahmed"},
		{"Hi team, it shipped on 2026-03-01 at 14:30 and costs €49.99, version 5.2.1.", "Hi team, it shipped on 2026-03-01 at 14:30 and costs €49.99, version 5.2.1."},
		{"Your code is 48213901.", "Your code is [number]."},
		{"Hello Jürgen-Paul! It works now.", "Hello [name]! It works now."},
		{"In case 1 of 2 we send a Windows10 update.", "In case 1 of 2 we send a Windows10 update."},
		{"MARIA wrote that maria's lamp broke; Marian is someone else.", "[name] wrote that [name]'s lamp broke; Marian is someone else."},
	} {
		if got := Mask(tc.in, "Maria Lopez"); got != tc.want {
			t.Errorf("Mask(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestMaskedDetailsListWhatAPersonMustFillIn(t *testing.T) {
	got := MaskedDetails("Hi [name], order [order id] goes to [email].")
	if !slices.Equal(got, []string{MaskEmail, MaskOrder}) {
		t.Errorf("MaskedDetails = %v", got)
	}
	if got := MaskedDetails("Hi [name], thanks!"); len(got) != 0 {
		t.Errorf("a name is filled in, not a detail to complete: %v", got)
	}
}

func TestFillNamePutsTheCurrentCustomersFirstName(t *testing.T) {
	if got := FillName("Hi [name], done.", "Anna Berg"); got != "Hi Anna, done." {
		t.Errorf("FillName = %q", got)
	}
	if got := FillName("Hi [name], done.", ""); got != "Hi, done." {
		t.Errorf("FillName without a name = %q", got)
	}
}

func FuzzMask(f *testing.F) {
	for _, s := range []string{"Hi Maria, order #48213", "mail a@b.co or +1 (555) 010-9999", "https://x.example/a/123456?t=1", "Dear Dr. Who,\n"} {
		f.Add(s, "Maria Lopez")
	}
	f.Fuzz(func(t *testing.T, text, name string) {
		out := Mask(text, name)
		if emailRE.MatchString(out) {
			t.Errorf("an email address survived: %q -> %q", text, out)
		}
	})
}
