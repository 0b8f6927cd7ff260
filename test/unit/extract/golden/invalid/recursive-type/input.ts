import { OlapTable } from "moose-ts";

interface TreeNode {
  id: string;
  children: TreeNode[];
}

export const tree = new OlapTable<TreeNode>("Tree");
