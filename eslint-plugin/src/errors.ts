/**
 * @fileoverview The plugin's named errors, each with a stable code.
 */

/** Every error the plugin throws: `code` is stable across releases. */
export class RcukitEslintError extends Error {
  override readonly name: string = 'RcukitEslintError';
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A file linted without typescript-eslint's type information: the rules need the type checker. */
export class MissingProgramError extends RcukitEslintError {
  override readonly name = 'MissingProgramError';
  constructor(file: string) {
    super(
      'RCUKIT_ESLINT_NO_PROGRAM',
      `@rcukit rules need type information, and ${file} was parsed without it: parse it with typescript-eslint's ` +
        'parser and `parserOptions: { projectService: true }`, or leave it out of the @rcukit rules (`files`, `ignores`)',
    );
  }
}
