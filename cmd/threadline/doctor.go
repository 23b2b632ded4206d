package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/threadlinehq/threadline/adapters/discord"
	"github.com/threadlinehq/threadline/adapters/email"
	"github.com/threadlinehq/threadline/adapters/mattermost"
	"github.com/threadlinehq/threadline/adapters/slack"
	"github.com/threadlinehq/threadline/adapters/telegram"
	"github.com/threadlinehq/threadline/adapters/whatsapp"
	"github.com/threadlinehq/threadline/cmd/threadline/internal/config"
	"github.com/threadlinehq/threadline/store"
)

// Outcome of one doctor check.
const (
	pass = "PASS"
	warn = "WARN"
	fail = "FAIL"
)

// finding is one line of the doctor's report; a failure says how to fix it.
type finding struct {
	area, status, detail, fix string
}

// doctor runs every check against the real services in the config and
// prints a pass/fail list; progress goes to progress (stderr).
type doctor struct {
	cfg      *config.Config
	progress io.Writer
	timeout  time.Duration
	found    []finding
}

func (d *doctor) add(area, status, detail, fix string) {
	d.found = append(d.found, finding{area, status, detail, fix})
}

func (d *doctor) step(format string, args ...any) {
	fmt.Fprintf(d.progress, "… "+format+"\n", args...)
}

func (c *cli) doctorCmd() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the config, the database and every configured platform for real; print what to fix",
		Long: `Check that Threadline can run: the config file (every problem, like check-config),
the database (schema version, writable, integrity quick_check), and every configured
adapter against its real API at the configured base URL:

  slack     auth.test (token, team), token scopes (X-OAuth-Scopes), every staff channel
            (conversations.info: exists, bot is a member), every user group named in
            departments (usergroups.users.list), the app-level token for Socket Mode
            (apps.connections.open); in HTTP mode, that public_url is public https and
            that a signed url_verification posted to public_url/slack/events comes
            back from the running daemon (so the proxy and the signing secret fit)
  telegram  getMe (token), getWebhookInfo (webhook mode: the URL matches public_url,
            recent delivery errors; polling: no webhook in the way)
  email     IMAP login and mailbox select; SMTP greeting, STARTTLS/TLS and login
  discord   GET /gateway/bot and /users/@me (token), every staff channel: kind,
            the bot's permissions there, forum tags
  mattermost GET /api/v4/users/me (token), every staff channel (readable, the bot
            is a member), whether the server allows username overrides and the
            bot may post ephemeral answers
  whatsapp  GET /{phone-number-id} for every number (token, number), that public_url
            is public https, and that Meta's callback check (GET public_url/whatsapp/webhook
            with hub.challenge and the verify token) gets the challenge back

Nothing is posted, sent or changed. Each failure comes with the fix. Exits 1 if
any check failed, 0 otherwise (warnings included). The daemon may be running.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d := &doctor{progress: c.stderr, timeout: timeout}
			fmt.Fprintf(c.stdout, "Threadline doctor · %s\n\n", c.configPath)
			d.step("reading %s", c.configPath)
			cfg, err := config.Load(c.configPath, c.env)
			if err != nil {
				var errs config.Errors
				if errors.As(err, &errs) {
					for _, p := range errs {
						d.add("config", fail, p.String(), "")
					}
					d.found[len(d.found)-1].fix = "edit the file; `threadline check-config` lists the same problems"
				} else {
					d.add("config", fail, err.Error(), "pass the right file with --config or THREADLINE_CONFIG")
				}
				return d.report(c.stdout)
			}
			d.cfg = cfg
			d.add("config", pass, c.configPath+" is valid", "")
			ctx := cmd.Context()
			d.database(ctx)
			d.slack(ctx)
			d.telegram(ctx)
			d.email(ctx)
			d.discord(ctx)
			d.mattermost(ctx)
			d.whatsapp(ctx)
			return d.report(c.stdout)
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 20*time.Second, "give up on one platform after this long")
	return cmd
}

// report prints the findings and turns failures into exit code 1.
func (d *doctor) report(w io.Writer) error {
	fails, warns := 0, 0
	for _, f := range d.found {
		fmt.Fprintf(w, "  %s  %-9s %s\n", f.status, f.area, f.detail)
		if f.fix != "" {
			fmt.Fprintf(w, "        %-9s fix: %s\n", "", f.fix)
		}
		switch f.status {
		case fail:
			fails++
		case warn:
			warns++
		}
	}
	fmt.Fprintln(w)
	switch {
	case fails > 0:
		fmt.Fprintf(w, "%d check(s) failed, %d warning(s).\n", fails, warns)
		return &exitError{code: 1, err: fmt.Errorf("doctor: %d check(s) failed", fails)}
	case warns > 0:
		fmt.Fprintf(w, "All checks passed, %d warning(s).\n", warns)
	default:
		fmt.Fprintln(w, "All checks passed.")
	}
	return nil
}

func (d *doctor) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, d.timeout)
}

func (d *doctor) database(parent context.Context) {
	path := storeLocation(d.cfg.Store)
	d.step("opening the database %s", path)
	size := "PostgreSQL"
	if !store.IsPostgresURL(d.cfg.Store.Path) {
		fi, err := os.Stat(path)
		if err != nil {
			d.add("database", warn, path+" does not exist yet", "`threadline serve` or `threadline migrate` creates it")
			return
		}
		size = humanBytes(fi.Size())
	}
	st, err := openStore(d.cfg.Store, store.Options{})
	if err != nil {
		d.add("database", fail, err.Error(), "check the path (store.path, THREADLINE_DB) and that this user may read and write it and its directory")
		return
	}
	defer st.Close()
	ctx, cancel := d.ctx(parent)
	defer cancel()
	v, err := st.SchemaVersion(ctx)
	switch latest := st.LatestVersion(); {
	case err != nil:
		d.add("database", fail, "cannot read the schema version: "+err.Error(), "is it a Threadline database? restore a backup if the file is damaged")
	case v > latest:
		d.add("database", fail, fmt.Sprintf("schema v%d is newer than this binary (v%d)", v, latest), "run the newer threadline binary; downgrades are not supported")
	case v < latest:
		d.add("database", warn, fmt.Sprintf("schema v%d, this binary migrates it to v%d at start", v, latest), "take a `threadline backup` first; `threadline migrate` applies it now")
	default:
		d.add("database", pass, fmt.Sprintf("%s: schema v%d (current), %s", path, v, size), "")
	}
	if v == 0 && err == nil {
		return // no tables yet (an empty PostgreSQL database): nothing to write to or check
	}
	if err := st.Ping(ctx); err != nil {
		hint := "check free disk space and the file's owner and mode (the daemon's user must write the file, -wal, -shm and the directory); `database is locked` means another process holds a write lock"
		if store.IsPostgresURL(d.cfg.Store.Path) {
			hint = "check that the server accepts writes (not a standby, disk not full) and that the URL's user may write the tables"
		}
		d.add("database", fail, "not writable: "+err.Error(), hint)
	} else {
		d.add("database", pass, "writable", "")
	}
	problems, err := st.QuickCheck(ctx)
	switch {
	case err != nil:
		d.add("database", fail, "quick_check: "+err.Error(), "restore the last backup (docs/operations.md: Backup)")
	case len(problems) > 0:
		d.add("database", fail, "quick_check found damage: "+strings.Join(problems, "; "), "stop Threadline and restore the last backup (docs/operations.md: Backup)")
	default:
		d.add("database", pass, "integrity quick_check ok", "")
	}
}

func (d *doctor) slack(parent context.Context) {
	cfg := d.cfg.Slack
	if !cfg.Enabled() {
		return
	}
	for dept, dc := range d.cfg.Workflow.Departments {
		if ch := dc.Channels["slack"]; ch != "" {
			if cfg.Channels == nil {
				cfg.Channels = map[string]string{}
			}
			cfg.Channels[dept] = ch
		}
	}
	s, err := slack.New(cfg, slack.Options{})
	if err != nil {
		d.add("slack", fail, err.Error(), "")
		return
	}
	ctx, cancel := d.ctx(parent)
	defer cancel()
	d.step("slack: auth.test at %s", cfg.APIURL)
	auth, err := s.AuthTest(ctx)
	if err != nil {
		fix := "check that " + cfg.APIURL + " is reachable from this machine"
		if strings.Contains(err.Error(), "invalid_auth") || strings.Contains(err.Error(), "not_authed") ||
			strings.Contains(err.Error(), "token_revoked") || strings.Contains(err.Error(), "account_inactive") {
			fix = "SLACK_BOT_TOKEN was refused: copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions at api.slack.com/apps (reinstall the app if it was revoked)"
		}
		d.add("slack", fail, "bot token: "+err.Error(), fix)
		return
	}
	d.add("slack", pass, fmt.Sprintf("bot token: @%s (%s) in workspace %s", auth.User, auth.UserID, auth.Team), "")
	groups := slackGroups(d.cfg.Workflow)
	switch missing := slack.MissingScopes(auth.Scopes, len(groups) > 0); {
	case auth.Scopes == nil:
		d.add("slack", warn, "Slack did not say which scopes the token has (no X-OAuth-Scopes header)", "")
	case len(missing) > 0:
		d.add("slack", fail, "token lacks scopes: "+strings.Join(missing, ", "),
			"add them under OAuth & Permissions → Bot Token Scopes at api.slack.com/apps and reinstall the app (`threadline slack manifest` lists every scope)")
	default:
		n := len(slack.Scopes())
		if len(groups) == 0 {
			n-- // usergroups:read is only needed for user groups
		}
		d.add("slack", pass, fmt.Sprintf("scopes: all %d Threadline needs", n), "")
	}
	channels := cfg.Configured()
	if dc := d.cfg.Digest.SlackChannel; dc != "" && !slices.Contains(channels, dc) {
		channels = append(channels, dc)
	}
	for _, id := range channels {
		d.step("slack: conversations.info %s", id)
		ch, err := s.Channel(ctx, id)
		switch {
		case err != nil:
			d.add("slack", fail, "channel "+id+": "+err.Error(), "")
		case !ch.Reachable:
			d.add("slack", fail, "channel "+id+" does not exist, or is private and the bot is not in it",
				"check the id (channel details → bottom, C…); for a private channel, /invite @threadline there")
		case ch.Archived:
			d.add("slack", fail, fmt.Sprintf("channel #%s (%s) is archived", ch.Name, id), "unarchive it or configure another channel")
		case !ch.IsMember:
			d.add("slack", fail, fmt.Sprintf("the bot is not in #%s (%s): posts fail with not_in_channel", ch.Name, id),
				fmt.Sprintf("type /invite @threadline in #%s", ch.Name))
		default:
			d.add("slack", pass, fmt.Sprintf("channel #%s (%s): bot is a member", ch.Name, id), "")
		}
	}
	for _, g := range groups {
		d.step("slack: usergroups.users.list %s", g)
		if n, err := s.CheckGroup(ctx, g); err != nil {
			d.add("slack", fail, "user group "+g+": "+err.Error(),
				"until it resolves, nobody counts as a department member through it; fix the id in departments, or add "+slack.GroupScope+" and reinstall the app")
		} else {
			d.add("slack", pass, fmt.Sprintf("user group %s: %d member(s)", g, n), "")
		}
	}
	if cfg.SocketMode() {
		d.step("slack: apps.connections.open (Socket Mode)")
		if err := s.CheckAppToken(ctx); err != nil {
			d.add("slack", fail, "Socket Mode: "+err.Error(),
				"SLACK_APP_TOKEN must be an app-level token (xapp-…) with connections:write (Basic Information → App-Level Tokens), and Socket Mode must be on in the app settings")
		} else {
			d.add("slack", pass, "Socket Mode: the app-level token opens connections", "")
		}
	} else {
		d.step("slack: POST %s/slack/events (a signed url_verification, as Slack sends)", d.cfg.PublicURL)
		err := s.CheckRequestURL(ctx, d.cfg.PublicURL)
		paths := d.cfg.PublicURL + "/slack/events, /slack/interactivity and /slack/commands"
		switch {
		case err == nil:
			d.add("slack", pass, "HTTP mode: "+d.cfg.PublicURL+"/slack/events leads to this daemon and it has this signing secret", "")
		case errors.Is(err, slack.ErrRequestURLUnreachable):
			d.add("slack", warn, "HTTP mode: "+err.Error(),
				"start the daemon (doctor may run beside it) and run doctor again; Slack must reach "+paths)
		default:
			d.add("slack", fail, "HTTP mode: "+err.Error(),
				"set public_url (THREADLINE_PUBLIC_URL) to the public https:// address whose reverse proxy passes "+paths+" to this daemon, or use Socket Mode (SLACK_APP_TOKEN) and no public URL is needed")
		}
	}
}

func (d *doctor) telegram(parent context.Context) {
	cfg := d.cfg.Telegram
	if !cfg.Enabled() {
		return
	}
	tg, err := telegram.New(cfg, telegram.Options{PublicURL: d.cfg.PublicURL})
	if err != nil {
		d.add("telegram", fail, err.Error(), "")
		return
	}
	ctx, cancel := d.ctx(parent)
	defer cancel()
	d.step("telegram: getMe at %s", cfg.APIURL)
	me, err := tg.GetMe(ctx)
	if err != nil {
		fix := "check that " + cfg.APIURL + " is reachable from this machine"
		var ae *telegram.APIError
		if errors.As(err, &ae) && (ae.Code == 401 || ae.Code == 404) {
			fix = "TELEGRAM_BOT_TOKEN was refused: send /token to @BotFather, pick the bot, and copy the token it shows"
		}
		d.add("telegram", fail, "bot token: "+err.Error(), fix)
		return
	}
	d.add("telegram", pass, fmt.Sprintf("bot token: @%s (%s)", me.Username, me.FirstName), "")
	d.step("telegram: getWebhookInfo")
	info, err := tg.GetWebhookInfo(ctx)
	if err != nil {
		d.add("telegram", fail, "getWebhookInfo: "+err.Error(), "")
		return
	}
	if !cfg.Webhook() {
		if info.URL != "" {
			d.add("telegram", warn, "long polling is configured, but a webhook is registered ("+info.URL+"); serve deletes it at start",
				"if another program or Threadline uses this bot with that webhook, give each its own bot; otherwise `threadline telegram set-webhook --delete`")
		} else {
			d.add("telegram", pass, fmt.Sprintf("long polling; no webhook in the way (%d update(s) waiting)", info.PendingUpdateCount), "")
		}
		return
	}
	want := tg.WebhookURL()
	switch {
	case info.URL == "":
		d.add("telegram", fail, "webhook mode is configured, but no webhook is registered", "`threadline telegram set-webhook` (serve also registers it at start)")
		return
	case info.URL != want:
		d.add("telegram", fail, "the registered webhook is "+info.URL+", not "+want,
			"`threadline telegram set-webhook` registers "+want+"; if another deployment set the other URL, it will take the updates back")
		return
	}
	d.add("telegram", pass, fmt.Sprintf("webhook %s registered (%d update(s) waiting)", info.URL, info.PendingUpdateCount), "")
	if last := info.LastError(); !last.IsZero() && time.Since(last) < 24*time.Hour {
		d.add("telegram", fail, fmt.Sprintf("Telegram could not deliver to the webhook %s ago: %s", time.Since(last).Round(time.Second), info.LastErrorMessage),
			"public_url must reach this daemon over HTTPS on port 443, 80, 88 or 8443 with a valid certificate, and the proxy must pass /telegram/webhook and the X-Telegram-Bot-Api-Secret-Token header")
	}
}

func (d *doctor) email(parent context.Context) {
	cfg := d.cfg.Email
	if !cfg.Enabled() {
		return
	}
	ch, err := email.New(cfg, email.Options{Key: []byte(strings.Repeat("doctor", 6))})
	if err != nil {
		d.add("email", fail, err.Error(), "")
		return
	}
	ctx, cancel := d.ctx(parent)
	defer cancel()
	d.step("email: IMAP %s", cfg.IMAPDescription())
	if in, err := ch.CheckIMAP(ctx); err != nil {
		d.add("email", fail, "IMAP: "+err.Error(), mailFix("IMAP", err, in.Addr, cfg.IMAP.Mailbox))
	} else {
		idle := "no IDLE: polls every " + cfg.IMAP.PollInterval.D().String()
		if in.Idle {
			idle = "IDLE"
		}
		d.add("email", pass, fmt.Sprintf("IMAP %s: logged in, mailbox %s has %d message(s) (%s)", in.Addr, in.Mailbox, in.Messages, idle), "")
	}
	d.step("email: SMTP %s", cfg.SMTPDescription())
	if out, err := ch.CheckSMTP(ctx); err != nil {
		d.add("email", fail, "SMTP: "+err.Error(), mailFix("SMTP", err, out.Addr, ""))
	} else {
		how := "no login"
		if out.Auth {
			how = "logged in"
		}
		d.add("email", pass, fmt.Sprintf("SMTP %s: greeted (%s), %s", out.Addr, out.TLS, how), "")
	}
}

// smtpAuthCode is SMTP's "authentication failed" reply code as a word.
var smtpAuthCode = regexp.MustCompile(`\b535\b`)

// mailFix suggests the fix for an IMAP or SMTP failure from its message.
func mailFix(proto string, err error, addr, mailbox string) string {
	msg := strings.ToLower(err.Error())
	urlVar := "EMAIL_" + proto + "_URL"
	switch {
	// Network failures first: their text carries host names and port
	// numbers, which may contain "auth" or "535" by chance.
	case strings.Contains(msg, "dial tcp") || strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such host"):
		return "nothing answers at " + addr + ": check the host and port in " + urlVar + " and any firewall"
	case strings.Contains(msg, "login") || strings.Contains(msg, "auth") || smtpAuthCode.MatchString(msg):
		return "the server refused the user name or password in " + urlVar + " (percent-encode @ as %40); Gmail and Microsoft 365 need an app password"
	case strings.Contains(msg, "connect to"):
		return "nothing answers at " + addr + ": check the host and port in " + urlVar + " and any firewall"
	case strings.Contains(msg, "tls") || strings.Contains(msg, "certificate"):
		return "the TLS mode does not fit the port: imaps:// and smtps:// use TLS at once (993, 465), imap:// and smtp:// upgrade with STARTTLS (143, 587)"
	case strings.Contains(msg, "select mailbox"):
		return "mailbox " + mailbox + " does not exist: set email.imap.mailbox (or the URL's path) to an existing folder"
	case strings.Contains(msg, "processed_folder"):
		return "create the folder on the server or unset email.imap.processed_folder"
	}
	return "check " + urlVar
}

func (d *doctor) discord(parent context.Context) {
	cfg := d.cfg.Discord
	if !cfg.Enabled() {
		return
	}
	for dept, dc := range d.cfg.Workflow.Departments {
		if ch := dc.Channels["discord"]; ch != "" {
			if cfg.Channels == nil {
				cfg.Channels = map[string]string{}
			}
			cfg.Channels[dept] = ch
		}
	}
	s, err := discord.New(cfg, discord.Options{})
	if err != nil {
		d.add("discord", fail, err.Error(), "")
		return
	}
	ctx, cancel := d.ctx(parent)
	defer cancel()
	d.step("discord: GET /gateway/bot and /users/@me at %s", cfg.APIURL)
	id, err := s.CheckGateway(ctx)
	if err != nil {
		fix := "check that " + cfg.APIURL + " is reachable from this machine"
		if strings.Contains(err.Error(), "401") {
			fix = "DISCORD_BOT_TOKEN was refused: on the application's Bot page at discord.com/developers, reset the token and copy it"
		}
		d.add("discord", fail, "bot token: "+err.Error(), fix)
		return
	}
	d.add("discord", pass, fmt.Sprintf("bot token: %s (%s), application %s, gateway %s (%d session starts left today)",
		id.Username, id.BotID, id.ApplicationID, id.GatewayURL, id.SessionsRemaining), "")
	switch {
	case id.MessageContent == nil:
	case *id.MessageContent:
		d.add("discord", pass, "Message Content intent enabled", "")
	default:
		d.add("discord", fail, "Message Content intent is off: Discord would refuse the gateway connection (4014) and staff messages would arrive empty",
			"discord.com/developers → your application → Bot → Privileged Gateway Intents → turn on Message Content Intent")
	}
	for _, chID := range cfg.StaffChannels() {
		d.step("discord: channel %s and the bot's permissions there", chID)
		ch, err := s.CheckChannel(ctx, id.BotID, chID)
		switch {
		case err != nil:
			d.add("discord", fail, "channel "+chID+": "+err.Error(),
				"check the id (Developer Mode → right-click the channel → Copy Channel ID) and that the bot was added to the server and may view the channel")
			continue
		case ch.Kind == "unsupported":
			d.add("discord", fail, fmt.Sprintf("channel #%s (%s) is neither a forum nor a text channel", ch.Name, chID), "point discord.channel_id at a forum channel (or a text channel)")
			continue
		}
		if len(ch.Missing) > 0 {
			var names []string
			for _, p := range ch.Missing {
				names = append(names, fmt.Sprintf("%s (%s)", p.Name, p.Why))
			}
			d.add("discord", fail, fmt.Sprintf("%s #%s (%s): the bot lacks %s", ch.Kind, ch.Name, chID, strings.Join(names, ", ")),
				"grant them to the bot's role in Server Settings → Roles, or in the channel's permission overrides (docs/discord.md: Setting up the bot, permission integer 329101986880)")
		} else {
			d.add("discord", pass, fmt.Sprintf("%s #%s (%s): the bot has every permission it needs", ch.Kind, ch.Name, chID), "")
		}
		if len(ch.MissingTags) > 0 && !cfg.CreateTags {
			d.add("discord", warn, fmt.Sprintf("forum #%s lacks the tags %s", ch.Name, strings.Join(ch.MissingTags, ", ")),
				"create them in the forum's settings, or set discord.create_tags: true (needs Manage Channels)")
		}
	}
}

func (d *doctor) mattermost(parent context.Context) {
	cfg := mattermostConfig(d.cfg)
	if !cfg.Enabled() {
		return
	}
	s, err := mattermost.New(cfg, mattermost.Options{PublicURL: d.cfg.PublicURL})
	if err != nil {
		d.add("mattermost", fail, err.Error(), "")
		return
	}
	ctx, cancel := d.ctx(parent)
	defer cancel()
	d.step("mattermost: GET /api/v4/users/me at %s", cfg.URL)
	id, err := s.CheckToken(ctx)
	if err != nil {
		fix := "check that " + cfg.URL + " is reachable from this machine (MATTERMOST_URL is the address you open Mattermost at)"
		if strings.Contains(err.Error(), "HTTP 401") {
			fix = "MATTERMOST_BOT_TOKEN was refused: System Console → Integrations → Bot Accounts → your bot → Create New Token, and copy the token (not its id)"
		}
		d.add("mattermost", fail, "bot token: "+err.Error(), fix)
		return
	}
	kind := "bot account"
	if !id.IsBot {
		kind = "user account (a bot account is recommended: docs/mattermost.md)"
	}
	d.add("mattermost", pass, fmt.Sprintf("bot token: @%s (%s), a %s", id.Username, id.UserID, kind), "")
	for _, ch := range cfg.StaffChannels() {
		d.step("mattermost: channel %s and the bot's membership", ch)
		c, err := s.CheckChannel(ctx, id.UserID, ch)
		switch {
		case err != nil:
			d.add("mattermost", fail, "channel "+ch+": "+err.Error(), "")
		case !c.Reachable:
			d.add("mattermost", fail, "channel "+ch+" does not exist, or is private and the bot is not in it",
				"check the id (the channel's name → View Info); add the bot to the channel (/invite @"+id.Username+")")
		case c.Archived:
			d.add("mattermost", fail, fmt.Sprintf("channel ~%s (%s) is archived", c.Name, ch), "unarchive it or configure another channel")
		case !c.Member:
			d.add("mattermost", fail, fmt.Sprintf("the bot is not a member of ~%s (%s): posts there fail", c.Name, ch),
				fmt.Sprintf("type /invite @%s in ~%s", id.Username, c.Name))
		default:
			d.add("mattermost", pass, fmt.Sprintf("channel ~%s (%s): readable, the bot is a member", c.Name, ch), "")
		}
	}
	switch on, err := s.UsernameOverride(ctx); {
	case err != nil:
		d.add("mattermost", warn, "cannot read the client config: "+err.Error(), "")
	case cfg.CustomerNames == mattermost.NamesOverride && !on:
		d.add("mattermost", fail, "customer_names: override, but the server does not allow username overrides: customer posts would show the bot's name",
			"System Console → Integrations → Integration Management → Enable integrations to override usernames: true (ServiceSettings.EnablePostUsernameOverride), or set customer_names: auto")
	case cfg.CustomerNames == mattermost.NamesPrefix:
		d.add("mattermost", pass, "customer names: in bold before the text (customer_names: prefix)", "")
	case on:
		d.add("mattermost", pass, "customer names: customer messages are posted under the customer's name (username overrides allowed)", "")
	default:
		d.add("mattermost", warn, "the server does not allow username overrides: customer messages show the bot's name with the customer's in bold",
			"to post under the customer's name: System Console → Integrations → Integration Management → Enable integrations to override usernames")
	}
	if !id.SystemAdmin {
		d.add("mattermost", warn, "the bot may not post ephemeral messages (only system admins may): answers to staff appear in the thread, visible to everyone",
			"to keep them private, give the bot the System Admin role (System Console → Bot Accounts → edit → Role)")
	}
	if cfg.CommandToken == "" {
		d.add("mattermost", warn, "no command_token: the "+cfg.SlashCommand+" slash command is off",
			"create a slash command whose request URL is "+d.cfg.PublicURL+mattermost.CommandPath+" and set MATTERMOST_COMMAND_TOKEN to its token (docs/mattermost.md)")
	}
}

func (d *doctor) whatsapp(parent context.Context) {
	cfg := d.cfg.WhatsApp
	if !cfg.Enabled() {
		return
	}
	wa, err := whatsapp.New(cfg, whatsapp.Options{PublicURL: d.cfg.PublicURL})
	if err != nil {
		d.add("whatsapp", fail, err.Error(), "")
		return
	}
	ctx, cancel := d.ctx(parent)
	defer cancel()
	for _, id := range cfg.PhoneNumberIDs {
		d.step("whatsapp: GET %s/%s", cfg.APIURL, id)
		p, err := wa.PhoneNumber(ctx, id)
		if err != nil {
			fix := "check that " + cfg.APIURL + " is reachable from this machine"
			var ae *whatsapp.APIError
			switch {
			case errors.As(err, &ae) && (ae.Status == 401 || ae.Code == 190):
				fix = "WHATSAPP_TOKEN was refused or has expired: create a system user token with whatsapp_business_messaging in Business Settings → System users (the dashboard's temporary token lasts 24 hours)"
			case errors.As(err, &ae) && ae.Status < 500:
				fix = "the id is not a phone number this token may use: copy \"Phone number ID\" from the app's WhatsApp → API Setup (not the phone number), and give the system user the WhatsApp account"
			}
			d.add("whatsapp", fail, "phone number "+id+": "+err.Error(), fix)
			continue
		}
		d.add("whatsapp", pass, fmt.Sprintf("phone number %s: +%s (%s), quality %s", id, strings.TrimPrefix(p.DisplayPhoneNumber, "+"), p.VerifiedName, orDash(p.QualityRating)), "")
	}
	d.step("whatsapp: GET %s%s (the callback check Meta makes)", d.cfg.PublicURL, whatsapp.WebhookPath)
	err = wa.CheckCallbackURL(ctx, d.cfg.PublicURL)
	switch {
	case err == nil:
		d.add("whatsapp", pass, "callback URL "+wa.WebhookURL()+" leads to this daemon and it has this verify token", "")
	case errors.Is(err, whatsapp.ErrCallbackUnreachable):
		d.add("whatsapp", warn, "callback URL: "+err.Error(),
			"start the daemon (doctor may run beside it) and run doctor again; Meta must reach "+wa.WebhookURL())
	default:
		d.add("whatsapp", fail, "callback URL: "+err.Error(),
			"set public_url (THREADLINE_PUBLIC_URL) to the public https:// address whose reverse proxy passes "+whatsapp.WebhookPath+" to this daemon, and enter "+wa.WebhookURL()+" with the verify token under WhatsApp → Configuration in the app dashboard")
	}
}
