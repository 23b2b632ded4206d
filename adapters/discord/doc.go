// Package discord is the Discord staff surface: a forum post (or a thread in
// a text channel) per conversation with a ticket card, tags and buttons;
// staff text, slash commands and buttons go to the command handler.
package discord
