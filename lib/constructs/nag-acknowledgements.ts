import * as cdk from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
// cdk-nag names an IAM5 finding after the resource as this function flattens it; using the very
// function keeps an acknowledgement from silently missing when cdk-nag changes its rendering.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';

/**
 * Acknowledges cdk-nag's `AwsSolutions-IAM5` finding for one wildcard resource of a policy under
 * `scope`, e.g. `<bucket ARN>/uploads/*`.
 *
 * The finding's id embeds the resource as the template renders it, and a reference to another
 * stack only takes its final form (`Fn::GetStackOutput` ...) once the app is prepared. The id is
 * therefore computed in a construct validation, which runs after references are resolved and
 * before validation plugins such as cdk-nag.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  scope.node.addValidation({
    validate: () => {
      const rendered = flattenCfnReference(cdk.Stack.of(scope).resolve(resource));
      cdk.Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${rendered}]`, reason });
      return [];
    },
  });
}

/** Acknowledges one cdk-nag finding (a rule, or `Rule[finding]`) on `scope` and everything under it. */
export function acknowledgeNag(scope: IConstruct, id: string, reason: string): void {
  cdk.Validations.of(scope).acknowledge({ id, reason });
}
