// The ESLint configuration the parity test runs the real ESLint CLI with: typescript-eslint's
// parser with the project service (type information from each file's tsconfig), and the plugin's
// recommended config, as a user's would be.
import tseslint from 'typescript-eslint';
import rcukit from '@rcukit/eslint-plugin';

export default [
  { ignores: ['**/dist/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  rcukit.configs.recommended,
];
