;;; eglot-client.el --- Emacs + eglot as the LSP client of the rcukit server  -*- lexical-binding: t; -*-
;;
;; @fileoverview Run by emacs.test.ts with `emacs --batch -Q -l eglot-client.el'. Emacs 28 has no
;; TypeScript mode, so a minimal one is defined here; eglot starts the server on the fixture,
;; the publishDiagnostics notifications eglot parses are recorded, and flymake (where eglot
;; puts them for the user) is asked for its diagnostics too.  The result goes to RCUKIT_OUT as JSON.

(require 'package)
;; -Q skips Debian's site start-up, which is what puts its elpa-* packages in reach.
(add-to-list 'package-directory-list "/usr/share/emacs/site-lisp/elpa")
(package-initialize)
(require 'eglot)
(require 'json)

(defun rcukit--env (name)
  (let ((v (getenv name)))
    (if (or (null v) (string= v "")) (error "missing environment variable %s" name) v)))

(defvar rcukit--published nil "publishDiagnostics params eglot received, newest first.")
(defvar rcukit--messages nil "window/showMessage texts.")

(define-derived-mode rcukit-ts-mode prog-mode "TS"
  "Just enough of a TypeScript mode for eglot to manage .ts buffers.")
(add-to-list 'auto-mode-alist '("\\.ts\\'" . rcukit-ts-mode))

(let ((node (rcukit--env "RCUKIT_NODE"))
      (server (rcukit--env "RCUKIT_SERVER")))
  (add-to-list 'eglot-server-programs `(rcukit-ts-mode . (,node ,server "--stdio"))))

;; Answered to the server's workspace/configuration request for the `rcukit' section.
(setq-default eglot-workspace-configuration '((:rcukit . (:enable t :debounceMs 50))))
(setq eglot-sync-connect 30
      eglot-connect-timeout 60
      eglot-autoshutdown t)

(cl-defmethod eglot-handle-notification :before
  (_server (_method (eql textDocument/publishDiagnostics)) &key uri diagnostics &allow-other-keys)
  (push (list :uri uri :diagnostics diagnostics) rcukit--published))

(cl-defmethod eglot-handle-notification :before
  (_server (_method (eql window/showMessage)) &key message &allow-other-keys)
  (push message rcukit--messages))

(defun rcukit--findings-p ()
  (seq-some (lambda (p) (> (length (plist-get p :diagnostics)) 0)) rcukit--published))

(let* ((file (rcukit--env "RCUKIT_FILE"))
       (out (rcukit--env "RCUKIT_OUT"))
       (timeout (string-to-number (or (getenv "RCUKIT_TIMEOUT_S") "60")))
       (buffer (find-file-noselect file)))
  (with-current-buffer buffer
    (unless (eq major-mode 'rcukit-ts-mode) (rcukit-ts-mode))
    ;; eglot-ensure waits for the command loop, which batch mode never runs: start it directly.
    (apply #'eglot (append (eglot--guess-contact) nil))
    (flymake-start)
    (let ((deadline (+ (float-time) timeout)))
      (while (and (not (rcukit--findings-p)) (< (float-time) deadline))
        (accept-process-output nil 0.1)))
    ;; Let flymake take what eglot got (its report function runs from timers).
    (flymake-start)
    (let ((deadline (+ (float-time) 5)))
      (while (and (null (flymake-diagnostics)) (rcukit--findings-p) (< (float-time) deadline))
        (accept-process-output nil 0.1)))
    (let* ((published
            (mapcar (lambda (p)
                      `((uri . ,(plist-get p :uri))
                        (diagnostics . ,(vconcat
                                         (mapcar (lambda (d)
                                                   `((line . ,(plist-get (plist-get (plist-get d :range) :start) :line))
                                                     (code . ,(plist-get d :code))
                                                     (source . ,(plist-get d :source))
                                                     (message . ,(plist-get d :message))))
                                                 (plist-get p :diagnostics))))))
                    (reverse rcukit--published)))
           (flymake
            (mapcar (lambda (d)
                      `((line . ,(1- (line-number-at-pos (flymake-diagnostic-beg d))))
                        (text . ,(flymake-diagnostic-text d))))
                    (flymake-diagnostics)))
           (report `((arrived . ,(if (rcukit--findings-p) t :json-false))
                     (published . ,(vconcat published))
                     (flymake . ,(vconcat flymake))
                     (messages . ,(vconcat (reverse rcukit--messages)))
                     (emacs . ,emacs-version))))
      (with-temp-file out (insert (json-encode report))))
    (ignore-errors (eglot-shutdown (eglot-current-server))))
  (kill-emacs 0))
