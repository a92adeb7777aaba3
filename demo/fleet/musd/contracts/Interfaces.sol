// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

interface IERC20Like {
    function decimals() external view returns (uint8);
    function balanceOf(address account) external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

interface IMUSD {
    function totalSupply() external view returns (uint256);
    function supplyCap() external view returns (uint256);
    function setSupplyCap(uint256 newCap) external;
    function mint(address to, uint256 amount) external;
    function burn(address from, uint256 amount) external;
}

interface IPriceOracle {
    function getPrice(address token) external view returns (uint256);
}

interface ITreasury {
    function withdrawTo(address to, uint256 amount) external;
}
