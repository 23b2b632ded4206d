// Package whatsapp is the WhatsApp customer channel on Meta's WhatsApp
// Business Cloud API: customer messages arrive on a signed webhook and are
// acknowledged only after Inbox.Deliver committed; staff replies go out
// through the Graph API within WhatsApp's 24-hour customer-service window,
// or as approved templates after it.
package whatsapp
