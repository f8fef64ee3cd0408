// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', '.dataio/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The framework core is pure TypeScript: no AWS, no Lambda runtime, no environment.
    files: ['layers/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['@aws-sdk/*', 'aws-sdk', 'aws-lambda', '@types/aws-lambda', '@middy/*', '@aws-lambda-powertools/*', 'aws-cdk-lib', 'aws-cdk-lib/*'], message: 'layers/core must stay free of AWS and Lambda dependencies; put adapters in layers/aws.' },
          { group: ['**/layers/aws/**', '**/layers/erp/**', '**/lambdas/**', '**/lib/**'], message: 'layers/core must not import outer layers.' },
        ],
      }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'layers/core must not read the environment; take configuration as arguments.' }],
      'no-restricted-syntax': ['error', { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'layers/core must not read the environment.' }],
    },
  },
  {
    files: ['layers/aws/**/*.ts', 'layers/erp/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/lambdas/**', '**/lib/**'], message: 'layers must not import lambdas or lib.' }] }],
    },
  },
);
