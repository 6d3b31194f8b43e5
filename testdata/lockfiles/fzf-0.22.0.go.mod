module github.com/junegunn/fzf

require (
	github.com/gdamore/tcell v1.3.0
	github.com/lucasb-eyer/go-colorful v1.0.3 // indirect
	github.com/mattn/go-isatty v0.0.12
	github.com/mattn/go-runewidth v0.0.8
	github.com/mattn/go-shellwords v1.0.9
	github.com/saracen/walker v0.0.0-20191201085201-324a081bae7e
	golang.org/x/crypto v0.0.0-20200128174031-69ecbb4d6d5d
	golang.org/x/sys v0.0.0-20200202164722-d101bd2416d5
	golang.org/x/text v0.3.2 // indirect
)

go 1.13
