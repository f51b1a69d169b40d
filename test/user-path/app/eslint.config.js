// The app's own ESLint set-up, as a team that already lints would have it, plus the plugin.
import tseslint from 'typescript-eslint';
import rcukit from '@rcukit/eslint-plugin';

export default tseslint.config(
  { ignores: ['dist/**', 'eslint.config.js'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  rcukit.configs.recommended,
);
