package slack

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/threadlinehq/threadline/bridge"
)

const maxSlackBody = 1 << 20

// Handler serves the HTTP Events API endpoints (used when no app-level
// token is set): /slack/events, /slack/interactivity, /slack/commands.
// Every request must carry a valid X-Slack-Signature over a timestamp less
// than five minutes old; anything else gets 401 and is not processed.
func (s *Surface) Handler(in bridge.StaffInbox) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/events", func(w http.ResponseWriter, r *http.Request) {
		body, ok := s.verified(w, r)
		if !ok {
			return
		}
		ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
		if err != nil {
			http.Error(w, "bad event payload: "+err.Error(), http.StatusBadRequest)
			return
		}
		switch ev.Type {
		case slackevents.URLVerification:
			var c slackevents.ChallengeResponse
			if err := json.Unmarshal(body, &c); err != nil {
				http.Error(w, "bad challenge", http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, c.Challenge)
		case slackevents.CallbackEvent:
			if err := s.handleEvent(r.Context(), in, ev); err != nil {
				s.log.Error("slack: event not handled; Slack will retry", "err", err)
				http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusOK)
		default:
			w.WriteHeader(http.StatusOK)
		}
	})
	mux.HandleFunc("POST /slack/interactivity", func(w http.ResponseWriter, r *http.Request) {
		body, ok := s.verified(w, r)
		if !ok {
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		var cb slack.InteractionCallback
		if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
			http.Error(w, "bad interaction payload", http.StatusBadRequest)
			return
		}
		if err := s.handleInteraction(r.Context(), in, cb); err != nil {
			s.log.Error("slack: interaction not handled", "err", err)
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("POST /slack/commands", func(w http.ResponseWriter, r *http.Request) {
		body, ok := s.verified(w, r)
		if !ok {
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		cmd := slack.SlashCommand{Command: form.Get("command"), Text: form.Get("text"), UserID: form.Get("user_id"),
			ChannelID: form.Get("channel_id"), UserName: form.Get("user_name"), TeamID: form.Get("team_id")}
		resp, err := s.handleSlash(r.Context(), in, cmd)
		if err != nil {
			s.log.Error("slack: slash command not handled", "err", err)
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
	})
	return mux
}

// verified reads the body and checks Slack's signature and timestamp.
func (s *Surface) verified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if s.cfg.SigningSecret == "" {
		http.Error(w, "HTTP events are off: no signing secret configured", http.StatusNotFound)
		return nil, false
	}
	sv, err := slack.NewSecretsVerifier(r.Header, s.cfg.SigningSecret)
	if err != nil {
		msg := "missing or invalid signature headers"
		if errors.Is(err, slack.ErrExpiredTimestamp) {
			msg = "stale request timestamp"
		}
		http.Error(w, msg, http.StatusUnauthorized)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSlackBody))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	if _, err := sv.Write(body); err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return nil, false
	}
	if err := sv.Ensure(); err != nil {
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return nil, false
	}
	if strings.TrimSpace(string(body)) == "" {
		http.Error(w, "empty body", http.StatusBadRequest)
		return nil, false
	}
	return body, true
}
